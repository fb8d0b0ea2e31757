// PackedEntries: entries lying in shared and owned pieces read back as the whole-buffer form would
// give them, and shared storage outlives its other owners.
#include "reference/rpc/packed_entries.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace flake {
namespace {

std::string visited(const PackedEntries& entries, size_t begin, size_t end) {
  std::string out;
  entries.visit(begin, end, [&out](std::string_view run) { out += run; });
  return out;
}

TEST(PackedEntries, WholeBufferForm) {
  const PackedEntries entries(std::string("abcdefghij"), {3, 3, 7, 10});
  EXPECT_EQ(entries.count(), 4u);
  EXPECT_EQ(entries.size(), 10u);
  EXPECT_EQ(entries.entry(0), "abc");
  EXPECT_EQ(entries.entry(1), "");
  EXPECT_EQ(entries.entry(2), "defg");
  EXPECT_EQ(entries.entry(3), "hij");
  EXPECT_EQ(entries.start(3), 7u);
  EXPECT_EQ(entries.flat(), "abcdefghij");
  EXPECT_EQ(entries.piece_count(), 1u);
  EXPECT_EQ(entries.shared_piece_count(), 0u);
  EXPECT_EQ(PackedEntries().flat(), "");
  EXPECT_EQ(PackedEntries().count(), 0u);
}

TEST(PackedEntries, SharedAndOwnedPiecesReadAsOneSequence) {
  auto block_a = std::make_shared<std::string>("0123456789");
  auto block_b = std::make_shared<std::string>("ABCDEFGHIJ");
  PackedEntries entries;
  entries.add_shared(block_a, 2, 3);  // "234"
  entries.add_shared(block_a, 5, 2);  // "56": follows on, same piece
  entries.add_copy("xy");
  entries.own() += "z";
  entries.end_own();                  // "z": follows "xy" in the own bytes, same piece
  entries.add_shared(block_b, 0, 4);  // "ABCD"
  entries.add_shared(block_a, 0, 1);  // "0": back to the first block, a piece of its own
  entries.add_shared(block_b, 6, 2);  // "GH": a gap in block_b, a piece of its own
  const std::string expected = "23456xyzABCD0GH";
  EXPECT_EQ(entries.flat(), expected);
  EXPECT_EQ(entries.ends(), (std::vector<size_t>{3, 5, 7, 8, 12, 13, 15}));
  EXPECT_EQ(entries.piece_count(), 5u);
  EXPECT_EQ(entries.shared_piece_count(), 4u);
  EXPECT_EQ(entries.entry(1), "56");
  EXPECT_EQ(entries.entry(3), "z");
  EXPECT_EQ(entries.entry(6), "GH");
  for (size_t begin = 0; begin <= expected.size(); ++begin) {
    for (size_t end = begin; end <= expected.size(); ++end) {
      EXPECT_EQ(visited(entries, begin, end), expected.substr(begin, end - begin))
          << begin << ".." << end;
      std::string appended = ">";
      entries.append_to(appended, begin, end);
      EXPECT_EQ(appended, ">" + expected.substr(begin, end - begin));
    }
  }
  // The history replaces a block's string rather than editing it: the entries keep the old one.
  const std::weak_ptr<std::string> watch = block_a;
  block_a = std::make_shared<std::string>("----------");
  block_b.reset();
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(entries.flat(), expected);
  PackedEntries moved = std::move(entries);
  EXPECT_EQ(moved.flat(), expected);
  moved = PackedEntries();
  EXPECT_TRUE(watch.expired()) << "released with the entries";
}

TEST(PackedEntries, ShortOwnBytesSurviveAMove) {
  // A few own bytes sit in the string's inline buffer, which a move copies to a new address.
  PackedEntries entries;
  entries.add_copy("ab");
  entries.add_copy("c");
  PackedEntries moved(std::move(entries));
  EXPECT_EQ(moved.entry(0), "ab");
  EXPECT_EQ(moved.flat(), "abc");
  const PackedEntries copy = moved;
  EXPECT_EQ(copy.entry(1), "c");
}

}  // namespace
}  // namespace flake

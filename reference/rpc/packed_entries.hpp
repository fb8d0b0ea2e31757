// A log export's entries as MessagePack values in export order, lying where they were found: in
// storage shared with the log history (kept alive here) or in bytes the export owns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flake {

// Entry i is bytes [start(i), ends()[i]) of the export's byte sequence, which is the pieces' bytes
// back to back. An entry never spans two pieces. The history hands over its MessagePack blocks as
// shared storage rather than copying them into one buffer: each block's string must never change
// again once shared (the history replaces a block's string, it does not edit it), so appends,
// evictions and compression after this was built leave these bytes as they were.
class PackedEntries {
 public:
  PackedEntries() = default;
  // The whole-buffer form: entry i is bytes[ends[i-1], ends[i]) (from 0 for the first).
  PackedEntries(std::string bytes, std::vector<size_t> ends);

  // Room for `count` more entries.
  void reserve(size_t count) { ends_.reserve(ends_.size() + count); }
  // Appends the entry at [offset, offset + size) of `storage`, kept alive and never copied.
  void add_shared(const std::shared_ptr<const std::string>& storage, size_t offset, size_t size) {
    if (sources_.empty() || sources_.back() != storage) sources_.push_back(storage);
    add_piece(sources_.size() - 1, offset, size);
  }
  // Appends an entry to the export's own bytes: append its bytes to own(), then call end_own().
  std::string& own() { return own_; }
  void end_own();
  void add_copy(std::string_view bytes) {
    own_ += bytes;
    end_own();
  }
  // Room for `bytes` more of the export's own bytes.
  void reserve_own(size_t bytes) { own_.reserve(own_.size() + bytes); }

  size_t count() const { return ends_.size(); }
  const std::vector<size_t>& ends() const { return ends_; }
  size_t size() const { return ends_.empty() ? 0 : ends_.back(); }
  size_t start(size_t i) const { return i == 0 ? 0 : ends_[i - 1]; }
  // Entry i (a search among the pieces).
  std::string_view entry(size_t i) const;
  // Calls visit(std::string_view) on consecutive runs making up bytes [begin, end).
  template <class Visit>
  void visit(size_t begin, size_t end, Visit&& visit) const {
    auto piece = std::upper_bound(pieces_.begin(), pieces_.end(), begin,
                                  [](size_t at, const Piece& p) { return at < p.end; });
    for (; begin < end && piece != pieces_.end(); ++piece) {
      const size_t piece_begin = piece->end - piece->size;
      const size_t from = begin - piece_begin;
      const size_t to = std::min(end, piece->end) - piece_begin;
      visit(std::string_view(data(*piece) + from, to - from));
      begin = piece_begin + to;
    }
  }
  void append_to(std::string& out, size_t begin, size_t end) const;
  // Every byte in one string, as the whole-buffer form holds them.
  std::string flat() const;
  // Runs of contiguous bytes the entries lie in, and how many of them are shared storage.
  size_t piece_count() const { return pieces_.size(); }
  size_t shared_piece_count() const;

 private:
  static constexpr size_t kOwn = SIZE_MAX;
  struct Piece {
    size_t source;  // index into sources_, or kOwn
    size_t offset;  // where the piece begins in its source
    size_t size;
    size_t end;  // where the piece ends in the export's byte sequence
  };
  const char* data(const Piece& piece) const {
    return (piece.source == kOwn ? own_.data() : sources_[piece.source]->data()) + piece.offset;
  }
  void add_piece(size_t source, size_t offset, size_t size) {
    // Consecutive entries of one block (nearly always) make one piece.
    if (!pieces_.empty() && pieces_.back().source == source &&
        pieces_.back().offset + pieces_.back().size == offset) {
      pieces_.back().size += size;
      pieces_.back().end += size;
    } else {
      pieces_.push_back({source, offset, size, this->size() + size});
    }
    ends_.push_back(this->size() + size);
  }

  std::vector<std::shared_ptr<const std::string>> sources_;
  std::string own_;
  size_t own_end_ = 0;  // own_ bytes already in an entry
  std::vector<Piece> pieces_;
  std::vector<size_t> ends_;
};

}  // namespace flake

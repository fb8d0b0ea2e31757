// The ticket store (see tickets.hpp). Lookups go through a hash of the offered string; a ticket is
// not a long-lived secret and dies on first use, so timing of the lookup reveals nothing reusable.
#include "reference/state/tickets.hpp"

#include "reference/state/token.hpp"

namespace flake {

std::string TicketStore::issue(int64_t now_ms, size_t random_bytes, int64_t lifetime_ms) {
  std::string ticket = random_hex(random_bytes);
  if (ticket.empty()) return ticket;
  while (expiry_.size() >= max_ && !order_.empty()) {
    expiry_.erase(order_.front());
    order_.pop_front();
  }
  expiry_[ticket] = now_ms + lifetime_ms;
  order_.push_back(ticket);
  return ticket;
}

bool TicketStore::consume(std::string_view ticket, int64_t now_ms) {
  auto it = expiry_.find(std::string(ticket));
  if (it == expiry_.end()) return false;
  const bool valid = now_ms < it->second;
  expiry_.erase(it);
  std::erase(order_, std::string(ticket));
  return valid;
}

bool TicketStore::valid(std::string_view ticket, int64_t now_ms) const {
  auto it = expiry_.find(std::string(ticket));
  return it != expiry_.end() && now_ms < it->second;
}

}  // namespace flake

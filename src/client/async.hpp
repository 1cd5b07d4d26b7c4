// The completion token udpecho's coroutines use: errors come back as values, not exceptions,
// because for a UDP client "refused" and "timed out" are ordinary outcomes.
#pragma once

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace udpecho {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace udpecho

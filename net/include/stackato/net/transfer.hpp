#pragma once
// asio::async_write gives the stream at most 64 KiB per write_some (the cap built into
// transfer_all and transfer_exactly), so a 128 KiB buffer costs two system calls, and on a TLS
// stream a 64 KiB write plus a tiny remainder. With this condition one call may take it all.

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <limits>

namespace stackato::net {

struct TransferWhole {
  std::size_t operator()(const boost::system::error_code& ec, std::size_t) const {
    return ec ? 0 : std::numeric_limits<std::size_t>::max();
  }
};

inline constexpr TransferWhole transfer_whole{};

}  // namespace stackato::net

#pragma once
// Carries bytes between a TCP socket and a WebSocket in both directions at once: binary messages
// are data, the text message "eof" is a half-close, and closing either side closes the other.
// Each direction waits for its write before reading more, so a slow reader slows the writer
// and nothing is buffered without bound. Used by both ends of the tunnel.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "stackato/net/transfer.hpp"
#include "stackato/tunnel/protocol.hpp"

namespace stackato::tunnel {

namespace net = stackato::net;

template <class WebSocket>
class Splice : public std::enable_shared_from_this<Splice<WebSocket>> {
 public:
  Splice(boost::asio::ip::tcp::socket tcp, WebSocket ws) : tcp_(std::move(tcp)), ws_(std::move(ws)) {
    ws_.binary(true);
    ws_.auto_fragment(false);
    // A client masks what it sends, through a buffer of this size (Beast's default is 4 KiB:
    // an upload through the tunnel would go out in 4 KiB frames and TLS records).
    ws_.write_buffer_bytes(128 * 1024);
    ws_.read_message_max(std::size_t(16) << 20);
  }

  void start() {
    auto self = this->shared_from_this();
    auto ex = tcp_.get_executor();
    boost::asio::co_spawn(ex, [self]() { return self->upstream(); }, boost::asio::detached);
    boost::asio::co_spawn(ex, [self]() { return self->downstream(); }, boost::asio::detached);
  }

 private:
  // TCP -> WebSocket
  boost::asio::awaitable<void> upstream() {
    std::array<char, 128 * 1024> buf;
    try {
      for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await tcp_.async_read_some(boost::asio::buffer(buf),
                                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec == boost::asio::error::eof) break;
        if (ec) throw boost::system::system_error(ec);
        ws_.binary(true);
        co_await ws_.async_write(boost::asio::buffer(buf.data(), n), boost::asio::use_awaitable);
      }
      ws_.text(true);
      co_await ws_.async_write(boost::asio::buffer(std::string_view(kEof)), boost::asio::use_awaitable);
      sent_eof_ = true;
      co_await maybe_close();
    } catch (const std::exception&) {
      abort();
    }
  }

  // WebSocket -> TCP. Frames are read piecewise straight into one buffer (no message-sized
  // buffer to grow and copy) and written out at the end of each message, the sender's unit, so
  // interactive traffic is not held back, or when the buffer is full. (Beast reads a frame's
  // header with the first 1.5 KiB of its payload; written at once, that was a system call per
  // frame.) A text message is a control word, gathered whole.
  boost::asio::awaitable<void> downstream() {
    std::array<char, 128 * 1024> buf;
    std::size_t used = 0;
    std::string text;
    try {
      for (;;) {
        std::size_t n = co_await ws_.async_read_some(boost::asio::buffer(buf.data() + used, buf.size() - used),
                                                     boost::asio::use_awaitable);
        if (ws_.got_text()) {
          text.append(buf.data() + used, n);
          if (!ws_.is_message_done()) continue;
          if (text == kEof) {
            boost::system::error_code ignored;
            tcp_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
            got_eof_ = true;
            co_await maybe_close();
          }
          text.clear();
          continue;
        }
        used += n;
        if (used > 0 && (used == buf.size() || ws_.is_message_done())) {
          co_await boost::asio::async_write(tcp_, boost::asio::buffer(buf.data(), used), net::transfer_whole,
                                            boost::asio::use_awaitable);
          used = 0;
        }
      }
    } catch (const std::exception&) {
      abort();  // closed by the peer (normal end) or failed: either way, both sides go
    }
  }

  // Both directions ended cleanly: the WebSocket closes normally.
  boost::asio::awaitable<void> maybe_close() {
    if (!(sent_eof_ && got_eof_) || closing_) co_return;
    closing_ = true;
    boost::system::error_code ec;
    co_await ws_.async_close(boost::beast::websocket::close_code::normal,
                             boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    boost::system::error_code ignored;
    tcp_.close(ignored);
  }

  void abort() {
    boost::system::error_code ignored;
    tcp_.close(ignored);
    boost::beast::get_lowest_layer(ws_).close();
  }

  boost::asio::ip::tcp::socket tcp_;
  WebSocket ws_;
  bool sent_eof_ = false, got_eof_ = false, closing_ = false;
};

}  // namespace stackato::tunnel

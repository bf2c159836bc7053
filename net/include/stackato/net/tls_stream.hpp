#pragma once
// A TLS stream for Asio and Beast (drop-in for beast::ssl_stream where it matters: kato's port,
// its router and the tunnel's listener) that moves bytes in large batches. Asio's own SSL stream
// reads and writes the socket one TLS record (16 KiB) at a time, and each of those is a system
// call and a wake-up; on a tunnel carrying gigabytes that, not the cipher, was the cost. Here
// OpenSSL works on a memory BIO pair: one socket read fills up to kInput bytes (many records),
// one read_some decrypts as much as the caller's buffer takes, and one write_some encrypts up to
// kMaxPlain bytes and sends them with one write. The BIO pair's own ring buffers are read into
// and written from directly (BIO_nwrite0/BIO_nread0): no extra copy.
//
// Rules, as for Asio's stream: one read and one write may be outstanding at a time, on one
// thread (or strand). A read never writes: what OpenSSL wants to send while reading (TLS 1.3
// post-handshake messages; none are needed by either side here) goes out with the next write.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>

#include "stackato/net/transfer.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace stackato::net {

namespace detail {

inline constexpr int kInput = 256 * 1024;            // ciphertext read from the socket at once
inline constexpr int kOutput = 192 * 1024;           // ciphertext waiting to be written
inline constexpr std::size_t kMaxPlain = 128 * 1024;  // plaintext encrypted per write_some
inline constexpr std::size_t kRecord = 16 * 1024;     // TLS's largest record payload

inline boost::system::error_code ssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return boost::asio::ssl::error::stream_truncated;
  return {static_cast<int>(e), boost::asio::error::get_ssl_category()};
}

// The SSL object and its network-side BIO; kept behind a pointer so the stream moves cheaply.
struct Core {
  SSL* ssl = nullptr;
  BIO* net = nullptr;  // our end of the pair: ciphertext in with nwrite, out with nread
  bool eof = false;    // the socket said EOF
  std::unique_ptr<char[]> scratch;  // gathers small pieces (a frame header) into one record
  std::size_t scratch_len = 0;

  explicit Core(SSL_CTX* ctx) {
    ssl = SSL_new(ctx);
    BIO* inner = nullptr;
    if (!ssl || !BIO_new_bio_pair(&inner, kOutput, &net, kInput)) {
      if (ssl) SSL_free(ssl);
      throw std::runtime_error("cannot create a TLS session");
    }
    SSL_set_bio(ssl, inner, inner);
    // Writes are sized to fit the output buffer, but a partial write is not an error.
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  ~Core() {
    SSL_free(ssl);
    BIO_free(net);
  }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Encrypts up to kMaxPlain bytes of `buffers` into the output ring; returns how many were
  // taken, 0 with `ec` set on failure. Pieces smaller than a record are gathered first, so a
  // WebSocket frame header does not become a TLS record of its own.
  template <class ConstBuffers>
  std::size_t encrypt(const ConstBuffers& buffers, boost::system::error_code& ec) {
    if (!scratch) scratch.reset(new char[kRecord]);
    std::size_t taken = 0;
    // In partial-write mode SSL_write_ex returns after each record; the ring has room for all.
    auto put = [&](const char* p, std::size_t n) {
      while (n > 0) {
        std::size_t written = 0;
        ERR_clear_error();
        if (SSL_write_ex(ssl, p, n, &written) != 1) {
          ec = ssl_error();
          return false;
        }
        p += written;
        n -= written;
      }
      return true;
    };
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b(*it);
      const char* p = static_cast<const char*>(b.data());
      std::size_t left = std::min(b.size(), kMaxPlain - taken);
      while (left > 0) {
        std::size_t n;
        if (scratch_len > 0 || left < kRecord) {
          n = std::min(left, kRecord - scratch_len);
          std::memcpy(scratch.get() + scratch_len, p, n);
          scratch_len += n;
          if (scratch_len == kRecord) {
            if (!put(scratch.get(), kRecord)) return 0;
            scratch_len = 0;
          }
        } else {
          n = left - left % kRecord;
          if (!put(p, n)) return 0;
        }
        p += n;
        left -= n;
        taken += n;
      }
      if (taken == kMaxPlain) break;
    }
    if (scratch_len > 0) {
      if (!put(scratch.get(), scratch_len)) return 0;
      scratch_len = 0;
    }
    return taken;
  }
};

}  // namespace detail

// TLS 1.3 suites fastest first where the CPU has AES instructions: AES-128-GCM (TLS 1.3's
// mandatory suite, and browsers' first choice) costs about 30% less than AES-256-GCM, OpenSSL's
// default first. A server keeps its order, except for a client that puts ChaCha20 first (no AES
// instructions there).
inline void prefer_fast_ciphers(SSL_CTX* ctx) {
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
}

template <class NextLayer>
class TlsStream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;
  using native_handle_type = SSL*;

  TlsStream(NextLayer next, boost::asio::ssl::context& ctx)
      : next_(std::move(next)), core_(std::make_unique<detail::Core>(ctx.native_handle())) {}
  TlsStream(TlsStream&&) = default;
  TlsStream& operator=(TlsStream&&) = default;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  NextLayer& next_layer() noexcept { return next_; }
  const NextLayer& next_layer() const noexcept { return next_; }
  SSL* native_handle() noexcept { return core_->ssl; }

  template <class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(
        HandshakeOp<boost::asio::const_buffer, false>(this, type, {}), token, next_);
  }

  // Server side: `buffers` are bytes already read from the socket (by a TLS detector).
  template <class ConstBuffers, class Token>
  auto async_handshake(boost::asio::ssl::stream_base::handshake_type type, const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        HandshakeOp<ConstBuffers, true>(this, type, buffers), token, next_);
  }

  // Sends close_notify. Does not wait for the peer's: nothing here needs it, and a peer that
  // never answers would hold the connection.
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(ShutdownOp(this), token, next_);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        ReadOp<MutableBuffers>(this, buffers), token, next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        WriteOp<ConstBuffers>(this, buffers), token, next_);
  }

 private:
  // Sends what OpenSSL has put in the output ring (it may wrap: then in two writes).
  template <class Self>
  void flush(Self& self) {
    char* p = nullptr;
    int n = BIO_nread0(core_->net, &p);
    boost::asio::async_write(next_, boost::asio::buffer(p, static_cast<std::size_t>(n)), transfer_whole, std::move(self));
  }
  bool committed_flush(std::size_t n) {
    char* p = nullptr;
    BIO_nread(core_->net, &p, static_cast<int>(n));
    return BIO_ctrl_pending(core_->net) > 0;
  }
  // Reads ciphertext from the socket straight into the input ring; false if it is full (cannot
  // happen while OpenSSL asks for more: a record is far smaller than the ring).
  template <class Self>
  bool fill(Self& self) {
    char* p = nullptr;
    int n = BIO_nwrite0(core_->net, &p);
    if (n <= 0) return false;
    next_.async_read_some(boost::asio::buffer(p, static_cast<std::size_t>(n)), std::move(self));
    return true;
  }
  void committed_fill(std::size_t n) {
    char* p = nullptr;
    if (n > 0) BIO_nwrite(core_->net, &p, static_cast<int>(n));
  }

  template <class ConstBuffers, bool Buffered>
  struct HandshakeOp {
    TlsStream* s;
    boost::asio::ssl::stream_base::handshake_type type;
    ConstBuffers initial;
    enum { start, flushing, filling } state = start;
    boost::system::error_code failure;  // kept while the alert that reports it is sent

    HandshakeOp(TlsStream* stream, boost::asio::ssl::stream_base::handshake_type t, const ConstBuffers& b)
        : s(stream), type(t), initial(b) {}

    template <class Self>
    void done(Self& self, boost::system::error_code ec) {
      if constexpr (Buffered)
        self.complete(ec, boost::asio::buffer_size(initial));
      else
        self.complete(ec);
    }

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      detail::Core& c = *s->core_;
      switch (state) {
        case start:
          if (type == boost::asio::ssl::stream_base::client)
            SSL_set_connect_state(c.ssl);
          else
            SSL_set_accept_state(c.ssl);
          if constexpr (Buffered) {
            for (auto it = boost::asio::buffer_sequence_begin(initial); it != boost::asio::buffer_sequence_end(initial); ++it) {
              boost::asio::const_buffer b(*it);
              if (b.size() > 0 && BIO_write(c.net, b.data(), static_cast<int>(b.size())) != static_cast<int>(b.size()))
                return done(self, boost::asio::error::no_buffer_space);
            }
          }
          break;
        case flushing:
          if (ec) return done(self, failure ? failure : ec);
          if (s->committed_flush(n)) return s->flush(self);
          if (failure) return done(self, failure);
          break;
        case filling:
          s->committed_fill(n);
          if (ec) return done(self, ec == boost::asio::error::eof ? boost::system::error_code(boost::asio::ssl::error::stream_truncated) : ec);
          break;
      }
      ERR_clear_error();
      int r = SSL_do_handshake(c.ssl);
      int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c.ssl, r);
      if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) failure = detail::ssl_error();
      // Whatever the outcome, send what OpenSSL wrote (the next flight, or an alert).
      if (BIO_ctrl_pending(c.net) > 0) {
        state = flushing;
        return s->flush(self);
      }
      if (failure) return done(self, failure);
      if (err == SSL_ERROR_NONE) return done(self, {});
      state = filling;
      if (!s->fill(self)) done(self, boost::asio::error::no_buffer_space);
    }
  };

  struct ShutdownOp {
    TlsStream* s;
    bool sent = false;
    explicit ShutdownOp(TlsStream* stream) : s(stream) {}
    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      if (sent) {
        if (!ec && s->committed_flush(n)) return s->flush(self);
        return self.complete(ec);
      }
      sent = true;
      ERR_clear_error();
      SSL_shutdown(s->core_->ssl);
      if (BIO_ctrl_pending(s->core_->net) == 0) return self.complete({});
      s->flush(self);
    }
  };

  template <class MutableBuffers>
  struct ReadOp {
    TlsStream* s;
    MutableBuffers buffers;
    bool filling = false;
    ReadOp(TlsStream* stream, const MutableBuffers& b) : s(stream), buffers(b) {}

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      detail::Core& c = *s->core_;
      if (filling) {
        s->committed_fill(n);
        if (ec == boost::asio::error::eof)
          c.eof = true;
        else if (ec)
          return self.complete(ec, 0);
      }
      // Decrypt as much as the buffers take from what has arrived.
      std::size_t total = 0;
      int err = SSL_ERROR_NONE;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers) && err == SSL_ERROR_NONE; ++it) {
        boost::asio::mutable_buffer b(*it);
        while (b.size() > 0) {
          std::size_t got = 0;
          ERR_clear_error();
          if (SSL_read_ex(c.ssl, b.data(), b.size(), &got) != 1) {
            err = SSL_get_error(c.ssl, 0);
            break;
          }
          total += got;
          b += got;
        }
      }
      if (total > 0 || boost::asio::buffer_size(buffers) == 0) return self.complete({}, total);
      switch (err) {
        case SSL_ERROR_WANT_READ:
          // The peer closed the socket without close_notify: the data may have been cut.
          if (c.eof) return self.complete(boost::asio::ssl::error::stream_truncated, 0);
          filling = true;
          if (!s->fill(self)) self.complete(boost::asio::error::no_buffer_space, 0);
          return;
        case SSL_ERROR_ZERO_RETURN:
          return self.complete(boost::asio::error::eof, 0);
        default:
          return self.complete(detail::ssl_error(), 0);
      }
    }
  };

  template <class ConstBuffers>
  struct WriteOp {
    TlsStream* s;
    ConstBuffers buffers;
    std::size_t taken = 0;
    bool flushing = false;
    WriteOp(TlsStream* stream, const ConstBuffers& b) : s(stream), buffers(b) {}

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      if (flushing) {
        if (ec) return self.complete(ec, 0);
        if (s->committed_flush(n)) return s->flush(self);
        return self.complete({}, taken);
      }
      if (boost::asio::buffer_size(buffers) == 0) return self.complete({}, 0);
      taken = s->core_->encrypt(buffers, ec);
      if (ec) return self.complete(ec, 0);
      flushing = true;
      s->flush(self);
    }
  };

  NextLayer next_;
  std::unique_ptr<detail::Core> core_;
};

// Beast's WebSocket closes its next layer with these (found by argument-dependent lookup).
template <class NextLayer, class Handler>
void async_teardown(boost::beast::role_type, TlsStream<NextLayer>& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}

template <class NextLayer>
void teardown(boost::beast::role_type, TlsStream<NextLayer>&, boost::system::error_code& ec) {
  ec = {};  // synchronous use is not supported; the socket closes with the stream
}

}  // namespace stackato::net

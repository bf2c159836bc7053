#include "pki/pki.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kato::pki {

namespace fs = std::filesystem;

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(what + ": " + buf);
}

Key new_key() {
  Key k(EVP_EC_gen("P-256"));
  if (!k) fail("generating a key");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, long days) {
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), days * 24 * 3600);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("kato"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : c.get();
  add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
  add_ext(c.get(), iss, NID_authority_key_identifier, "keyid:always");
  return c;
}

void write_pem(const fs::path& path, const std::function<int(FILE*)>& writer, bool secret) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, secret ? 0600 : 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  FILE* f = fdopen(fd, "w");
  bool ok = writer(f) == 1;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  fs::rename(tmp, path);
}

template <class T>
T read_pem(const fs::path& path, T (*reader)(FILE*)) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return T();
  T out = reader(f);
  std::fclose(f);
  return out;
}

EVP_PKEY* read_key(FILE* f) { return PEM_read_PrivateKey(f, nullptr, nullptr, nullptr); }
X509* read_cert(FILE* f) { return PEM_read_X509(f, nullptr, nullptr, nullptr); }

bool covers(X509* cert, const std::string& domain) {
  return X509_check_host(cert, ("api." + domain).c_str(), 0, 0, nullptr) == 1 &&
         X509_check_host(cert, ("app." + domain).c_str(), 0, 0, nullptr) == 1 &&
         X509_cmp_current_time(X509_get0_notAfter(cert)) > 0;
}

}  // namespace

Files ensure(const fs::path& dir, const std::string& domain) {
  fs::create_directories(dir);
  Files files{dir / "ca.pem", dir / "server.pem", dir / "server-key.pem"};
  fs::path ca_key_path = dir / "ca-key.pem";

  Key ca_key(read_pem<EVP_PKEY*>(ca_key_path, read_key));
  Cert ca(read_pem<X509*>(files.ca_cert, read_cert));
  if (!ca_key || !ca) {
    ca_key = new_key();
    ca = make_cert(ca_key.get(), "kato local CA", nullptr, 3650);
    add_ext(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    if (!X509_sign(ca.get(), ca_key.get(), EVP_sha256())) fail("signing the CA");
    write_pem(ca_key_path, [&](FILE* f) { return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr); }, true);
    write_pem(files.ca_cert, [&](FILE* f) { return PEM_write_X509(f, ca.get()); }, false);
    fs::remove(files.cert);  // anything signed by an old CA is useless now
  }

  Cert existing(read_pem<X509*>(files.cert, read_cert));
  if (existing && covers(existing.get(), domain) && fs::exists(files.key)) return files;

  Key key = new_key();
  Cert cert = make_cert(key.get(), "*." + domain, ca.get(), 825);
  add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), ca.get(), NID_subject_alt_name,
          "DNS:" + domain + ",DNS:*." + domain + ",DNS:api." + domain + ",DNS:localhost,IP:127.0.0.1,IP:::1");
  if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) fail("signing the server certificate");
  write_pem(files.key, [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); }, true);
  write_pem(files.cert, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }, false);
  return files;
}

struct Issuer::Impl {
  Key ca_key;
  Cert ca;
  std::string domain;
  std::mutex mutex;
  std::map<std::string, std::pair<Cert, Key>> cache;  // host -> leaf

  bool ours(const std::string& host) const {
    return host == domain || (host.size() > domain.size() + 1 &&
                              host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
                              host[host.size() - domain.size() - 1] == '.');
  }

  std::pair<X509*, EVP_PKEY*> leaf(const std::string& host) {
    std::lock_guard lock(mutex);
    auto it = cache.find(host);
    if (it == cache.end()) {
      if (cache.size() > 10000) cache.clear();  // bounded: names are chosen by clients
      Key key = new_key();
      Cert cert = make_cert(key.get(), host, ca.get(), 825);
      add_ext(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
      add_ext(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
      add_ext(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth");
      add_ext(cert.get(), ca.get(), NID_subject_alt_name, "DNS:" + host);
      if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) fail("signing a host certificate");
      it = cache.emplace(host, std::make_pair(std::move(cert), std::move(key))).first;
    }
    return {it->second.first.get(), it->second.second.get()};
  }

  static int on_servername(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_OK;  // the default certificate
    std::string host(name);
    for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!self->ours(host)) return SSL_TLSEXT_ERR_OK;
    try {
      auto [cert, key] = self->leaf(host);
      if (SSL_use_certificate(ssl, cert) != 1 || SSL_use_PrivateKey(ssl, key) != 1)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    } catch (const std::exception&) {
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
  }
};

Issuer::Issuer(const Files& files, std::string domain) : impl_(std::make_unique<Impl>()) {
  impl_->ca_key.reset(read_pem<EVP_PKEY*>(files.ca_cert.parent_path() / "ca-key.pem", read_key));
  impl_->ca.reset(read_pem<X509*>(files.ca_cert, read_cert));
  if (!impl_->ca_key || !impl_->ca) throw std::runtime_error("cannot read the CA in " + files.ca_cert.parent_path().string());
  impl_->domain = std::move(domain);
}

Issuer::~Issuer() = default;

void Issuer::attach(SSL_CTX* ctx) {
  SSL_CTX_set_tlsext_servername_callback(ctx, &Impl::on_servername);
  SSL_CTX_set_tlsext_servername_arg(ctx, impl_.get());
}

}  // namespace kato::pki

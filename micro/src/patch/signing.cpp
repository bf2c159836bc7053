#include "patch/signing.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "patch/files.hpp"

namespace kato::patch {

namespace fs = std::filesystem;

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Key private_key(const fs::path& p) {
  auto text = read_file(p);
  if (!text) throw KeyError("cannot read the key file " + p.string());
  const std::string& pem = *text;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519)
    throw KeyError(p.string() + " is not an Ed25519 private key (make one with 'kato patch keygen')");
  return key;
}

Key public_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) throw KeyError("not an Ed25519 public key");
  return key;
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

// Created with O_EXCL in the given mode: a key is never written over, nor readable meanwhile.
void write_new(const fs::path& p, const std::string& text, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw KeyError("cannot create " + p.string() + (errno == EEXIST ? ": it exists" : ""));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) throw KeyError("cannot write " + p.string());
}

std::string pem_of(Key& key, bool priv) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  int rc = priv ? PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                : PEM_write_bio_PUBKEY(bio.get(), key.get());
  if (rc != 1) throw KeyError("cannot encode the key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::string keygen(const fs::path& key) {
  fs::path pub = key.string() + ".pub";
  if (fs::exists(key) || fs::exists(pub)) throw KeyError(key.string() + " or its .pub exists; not overwriting a key");
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                   EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw KeyError("cannot make an Ed25519 key");
  Key k(raw, EVP_PKEY_free);
  write_new(key, pem_of(k, true), 0600);
  std::string public_pem = pem_of(k, false);
  write_new(pub, public_pem, 0644);
  return fingerprint(public_pem);
}

std::string sign(const fs::path& key, std::string_view data) {
  Key k = private_key(key);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t n = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &n, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw KeyError("cannot sign with " + key.string());
  return std::string(reinterpret_cast<char*>(sig), n);
}

bool verify(const std::string& public_pem, std::string_view data, std::string_view signature) {
  Key k = public_key(public_pem);
  MdCtx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::string fingerprint(const std::string& public_pem) {
  Key k = public_key(public_pem);
  unsigned char raw[32];
  size_t n = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(k.get(), raw, &n) != 1) throw KeyError("not an Ed25519 public key");
  return sha256_hex(std::string_view(reinterpret_cast<char*>(raw), n)).substr(0, 16);
}

std::string sha256_hex(std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return hex(d, sizeof d);
}

}  // namespace kato::patch

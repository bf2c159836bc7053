#pragma once
// What the brokers share: names from guids, random passwords, ports that stay the same across
// restarts (credentials carry them), and the factories.

#include <filesystem>
#include <memory>
#include <string>

#include <mutex>
#include <optional>

#include "brokers/brokers.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

// A server kato attaches to instead of running its own, from <services>/external.json:
// {"postgresql": {"host": "db.example", "port": 5432, "admin_user": "postgres",
//  "admin_password": "..."}, "mysql": {...}, "redis": {...}}.
struct External {
  std::string host;
  unsigned short port = 0;
  std::string user, password;
};
std::optional<External> external_server(const std::filesystem::path& services, const std::string& type);

// A broker backed by one server: supervised by kato and started on first use, or external.
class ServerBroker : public Broker {
 public:
  ServerBroker(const std::filesystem::path& services, const std::string& type)
      : external_(external_server(services, type)) {}
  std::string state() override;
  void stop() override;
  void resume(const nlohmann::json&) override { start(); }
  bool started() override;
  bool answers() override;
  void attach() override {
    if (!external_ && ping()) return;
    start();
  }

 protected:
  // Where the server listens, and the bytes that make it answer (MariaDB greets first).
  virtual unsigned short server_port() = 0;
  virtual std::string probe_hello() { return ""; }
  // Once, before the first start: the server's directories and data; returns how to run it.
  virtual Server::Spec prepare() = 0;
  // Whether the server answers its admin (for an external one, instead of starting it).
  virtual bool ping() = 0;
  // Starts the server if needed and waits until it answers.
  void start();
  std::string host() const { return external_ ? external_->host : "127.0.0.1"; }
  RunAs as_;
  std::optional<External> external_;

 private:
  std::mutex mu_;
  std::unique_ptr<Server> server_;
};

// Whether host:port accepts a connection and sends at least one byte (after `hello`, if any)
// within `timeout_ms`: a stopped (SIGSTOP) or wedged server does not.
bool probe(const std::string& host, unsigned short port, const std::string& hello, int timeout_ms);

// "d" or "u" and 16 hex digits of the guid: a name every server accepts unquoted.
std::string short_name(char prefix, const std::string& guid);
std::string random_password();
// Throws unless `name` is a plain SQL name (a letter, then letters, digits, _): names read from an
// imported archive go into statements unquoted.
void check_sql_name(const std::string& name, const std::string& what);
// The port kept for a server in <dir>/ports.json, chosen free the first time.
unsigned short stable_port(const std::filesystem::path& dir, const std::string& server);
// Credentials in the Stackato/CF form: hostname, host, port, name, user, username, password, uri.
nlohmann::json db_credentials(const std::string& scheme, const std::string& host, unsigned short port,
                              const std::string& name, const std::string& user, const std::string& password);

std::unique_ptr<Broker> make_postgresql(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_mysql(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_redis(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_filesystem(const std::filesystem::path& dir);

}  // namespace kato::brokers

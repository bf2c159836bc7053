#pragma once
// What the brokers share: names from guids, random passwords, ports that stay the same across
// restarts (credentials carry them), and the factories.

#include <filesystem>
#include <memory>
#include <string>

#include <mutex>

#include "brokers/brokers.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

// A broker backed by one supervised server, started on first use.
class ServerBroker : public Broker {
 public:
  std::string state() override;
  void stop() override;
  void resume(const nlohmann::json&) override { start(); }

 protected:
  // Once, before the first start: the server's directories and data; returns how to run it.
  virtual Server::Spec prepare() = 0;
  // Starts the server if needed and waits until it answers.
  void start();
  RunAs as_;

 private:
  std::mutex mu_;
  std::unique_ptr<Server> server_;
};

// "d" or "u" and 16 hex digits of the guid: a name every server accepts unquoted.
std::string short_name(char prefix, const std::string& guid);
std::string random_password();
// The port kept for a server in <dir>/ports.json, chosen free the first time.
unsigned short stable_port(const std::filesystem::path& dir, const std::string& server);
// Credentials in the Stackato/CF form: hostname, host, port, name, user, username, password, uri.
nlohmann::json db_credentials(const std::string& scheme, unsigned short port, const std::string& name,
                              const std::string& user, const std::string& password);

std::unique_ptr<Broker> make_postgresql(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_mysql(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_redis(const std::filesystem::path& dir);
std::unique_ptr<Broker> make_filesystem(const std::filesystem::path& dir);

}  // namespace kato::brokers

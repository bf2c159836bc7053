#pragma once
// Service brokers: PostgreSQL, MySQL (MariaDB), Redis and filesystem instances on one machine.
// Each managed instance gets its own database (Redis: db index; filesystem: a size-limited
// volume), each binding its own user and random password. The servers are started on first
// use under <data>/services and supervised (supervisor.hpp).

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kato::brokers {

struct Plan {
  std::string name, description;
  long size_mb = 0;  // filesystem: the volume's size
};

class Broker {
 public:
  virtual ~Broker() = default;
  virtual std::string label() const = 0;  // the offering's name and VCAP_SERVICES key
  virtual std::string description() const = 0;
  virtual std::vector<std::string> tags() const = 0;
  virtual std::vector<Plan> plans() const { return {{"default", "One database on kato's shared server", 0}}; }
  // Creates the instance; returns what it needs later (kept, private, with the instance).
  // Leaves nothing behind when it throws.
  virtual nlohmann::json provision(const std::string& id, const Plan& plan) = 0;
  virtual void deprovision(const nlohmann::json& data) = 0;
  // Credentials for one binding (a user of its own); unbind removes that user.
  virtual nlohmann::json bind(const std::string& id, const nlohmann::json& data) = 0;
  virtual void unbind(const nlohmann::json& data, const nlohmann::json& credentials) = 0;
  // After a kato restart, for each existing instance (filesystem: mount again).
  virtual void resume(const nlohmann::json& /*data*/) {}
  virtual std::string state() = 0;
  virtual void stop() {}
  // For monitoring: whether its server was started (servers start on first use), and whether
  // it answers a probe within 2 s now. Brokers without a server are always both.
  virtual bool started() { return true; }
  virtual bool answers() { return true; }
};

class Brokers {
 public:
  explicit Brokers(const std::filesystem::path& dir);  // <data>/services
  ~Brokers();
  Broker* find(const std::string& label);
  std::vector<Broker*> all();
  // Broker work (provision, deprovision) runs on one worker thread, in order.
  void submit(std::function<void()> work);
  // Waits for submitted work, then stops the servers.
  void stop_all();
  // Waits until no work is queued or running (an in-place upgrade, once no request can submit
  // more); the servers keep running.
  void wait_idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::brokers

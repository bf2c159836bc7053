#pragma once
// `kato nagios-config`: Nagios 4 object definitions for watching one kato host, in the form of
// the seed's example (an important-host template; disk_free, LOAD and SSH services) with kato's
// own checks added. The kato checks run on the kato host, through check_by_ssh (default) or
// NRPE; disk and load come from `kato check` too, so that they measure the data dir's disk.

#include <string>

namespace kato::monitor {

struct NagiosOptions {
  std::string host = "kato";         // host_name
  std::string address = "127.0.0.1";
  std::string via = "ssh";           // ssh (check_by_ssh) or nrpe (check_nrpe)
  std::string ssh_user = "nagios";   // who may run `sudo kato check` on the kato host
  std::string data;                  // kato's data dir on that host
};

std::string nagios_config(const NagiosOptions& options);

}  // namespace kato::monitor

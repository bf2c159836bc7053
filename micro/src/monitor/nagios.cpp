#include "monitor/nagios.hpp"

#include <vector>

#include "stackato/version.hpp"

namespace kato::monitor {

namespace {

struct Service {
  const char* description;  // as the seed names them where it has them
  const char* check;        // kato check NAME
};

const std::vector<Service> kServices = {
    {"disk_free", "disk"}, {"LOAD", "load"},          {"kato_api", "api"},
    {"kato_router", "router"}, {"kato_services", "services"}, {"kato_apps", "apps"},
};

std::string service(const std::string& host, const std::string& description, const std::string& command) {
  return "define service {\n"
         "    use                     generic-service\n"
         "    host_name               " + host + "\n"
         "    service_description     " + description + "\n"
         "    is_volatile             0\n"
         "    check_period            24x7\n"
         "    max_check_attempts      4\n"
         "    check_interval          5\n"
         "    retry_interval          1\n"
         "    contact_groups          admins\n"
         "    notification_options    w,u,c,r\n"
         "    notification_interval   960\n"
         "    notification_period     24x7\n"
         "    check_command           " + command + "\n"
         "}\n";
}

}  // namespace

std::string nagios_config(const NagiosOptions& o) {
  std::string data = o.data.empty() ? "" : " --data " + o.data;
  std::string out =
      "# Nagios 4 objects for kato on " + o.host + ", made by `kato nagios-config` (kato " + stackato::kVersion + ").\n"
      "# Templates generic-service, the 24x7 period and the admins group: Debian's nagios4 objects\n"
      "# (templates.cfg, timeperiods.cfg, contacts.cfg).\n";
  if (o.via == "nrpe")
    out += "# Through NRPE: on " + o.host + ", in nrpe.cfg (kato check reads kato's data dir: run it as kato's user):\n";
  else
    out += "# Through check_by_ssh as " + o.ssh_user + ", who may run kato check on " + o.host + ", e.g. in sudoers:\n"
           "#   " + o.ssh_user + " ALL=(root) NOPASSWD: /usr/bin/kato check *\n";
  for (const auto& s : kServices)
    if (o.via == "nrpe") out += "#   command[kato_" + std::string(s.check) + "]=/usr/bin/kato check " + s.check + data + "\n";
  out += "\n";
  out += "define command {\n"
         "    command_name    check_kato\n";
  if (o.via == "nrpe")
    out += "    command_line    $USER1$/check_nrpe -H $HOSTADDRESS$ -c kato_$ARG1$\n";
  else
    out += "    command_line    $USER1$/check_by_ssh -H $HOSTADDRESS$ -l " + o.ssh_user +
           " -C \"sudo /usr/bin/kato check $ARG1$" + data + "\"\n";
  out += "}\n"
         "define command {\n"
         "    command_name    check_kato_ssh\n"
         "    command_line    $USER1$/check_ssh $HOSTADDRESS$\n"
         "}\n"
         "define command {\n"
         "    command_name    check_kato_host_alive\n"
         "    command_line    $USER1$/check_ping -H $HOSTADDRESS$ -w 3000.0,80% -c 5000.0,100% -p 5\n"
         "}\n\n"
         "define host {\n"
         "    name                            important-host  ; a template, as in the Stackato docs\n"
         "    notifications_enabled           1\n"
         "    event_handler_enabled           1\n"
         "    flap_detection_enabled          1\n"
         "    process_perf_data               1\n"
         "    retain_status_information       1\n"
         "    retain_nonstatus_information    1\n"
         "    register                        0\n"
         "    check_command                   check_kato_host_alive\n"
         "    max_check_attempts              10\n"
         "    notification_interval           120\n"
         "    notification_period             24x7\n"
         "    notification_options            d,r\n"
         "    contact_groups                  admins\n"
         "}\n"
         "define host {\n"
         "    use             important-host\n"
         "    host_name       " + o.host + "\n"
         "    address         " + o.address + "\n"
         "}\n\n";
  for (const auto& s : kServices) out += service(o.host, s.description, std::string("check_kato!") + s.check) + "\n";
  out += service(o.host, "SSH", "check_kato_ssh");
  return out;
}

}  // namespace kato::monitor

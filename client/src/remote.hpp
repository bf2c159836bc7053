#pragma once
// A command run in an app instance through kato's exec endpoint (a WebSocket next to the V3
// API): local stdin, stdout and stderr streamed both ways with flow control, the remote exit
// status returned. A pty only when asked for (an interactive terminal).

#include <string>

#include "session.hpp"

namespace stackato::client {

struct RemoteCommand {
  std::string app_guid;
  int instance = 0;
  std::string command;  // run with /bin/sh -c in the instance
  bool tty = false;
};

// Returns the remote exit status (128 + signal when it was killed). Throws NetworkError when the
// connection cannot be made or drops before the command ends; a target without the endpoint
// (a real Cloud Foundry) gets a message naming `--local`.
int run_remote(Session& s, const RemoteCommand& command);

}  // namespace stackato::client

#pragma once
// What push and releases report as they go. The actions (push/) emit events with their data; a
// view renders them (the cf CLI's push actor emits events that its command's view prints). The
// default view prints the original client's lines (stderr; a build's own output on stdout);
// a command or a test installs another with set_push_view.

#include <functional>
#include <string>

namespace stackato::client {

enum class PushEvent {
  CreatingApp, UpdatingApp, FinishingFirstPush,
  Change,           // detail: one change to an existing app ("Changing instances: 1 -> 2")
  Warning,          // detail: the warning
  MappingUrl, KeepingUrl,  // detail: the URL
  CreatingService,  // detail: "TYPE NAME"
  BindingService,   // detail: the service's name
  Uploading,        // detail: "N files, M already on the server, SIZE to send"
  UploadProgress,   // detail: "SENT/TOTAL) P%" (a terminal's progress line, redrawn)
  UploadSent,       // the progress line ends
  UploadRetry,      // detail: why the upload is sent again
  Staging, StagingOutput,  // detail: a line of the build's output
  Deploying, Starting, Restarting,
  Deployed,         // detail: the URL a browser reaches the app at
  Running, StoppedByNoStart, StagedNotStarted, LeftStopped,
  RolledBack,       // a failed first push deleted what it created
  RollbackFailed,   // detail: why
  Step,             // detail: a step of a release or of the tunnel helper's deployment, as a line
};

struct PushNote {
  PushEvent event;
  std::string app, detail;
};

using PushView = std::function<void(const PushNote&)>;

// Emitted by push's and releases' steps.
void emit(PushEvent event, const std::string& app, const std::string& detail = "");
// Installs a view; an empty one puts the default back.
void set_push_view(PushView view);
// The default view: the original client's wording.
void print_push_note(const PushNote& note);

}  // namespace stackato::client

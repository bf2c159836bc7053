#include "push/events.hpp"

#include <iostream>

namespace stackato::client {

namespace {
PushView& view() {
  static PushView current = print_push_note;
  return current;
}
}  // namespace

void emit(PushEvent event, const std::string& app, const std::string& detail) { view()({event, app, detail}); }

void set_push_view(PushView v) { view() = v ? std::move(v) : PushView(print_push_note); }

void print_push_note(const PushNote& n) {
  switch (n.event) {
    case PushEvent::CreatingApp: std::cerr << "Creating application " << n.app << "\n"; break;
    case PushEvent::UpdatingApp: std::cerr << "Updating application " << n.app << "\n"; break;
    case PushEvent::FinishingFirstPush: std::cerr << n.app << " was never staged: finishing its first push\n"; break;
    case PushEvent::Change: std::cerr << n.detail << "\n"; break;
    case PushEvent::Warning: std::cerr << "Warning: " << n.detail << "\n"; break;
    case PushEvent::MappingUrl: std::cerr << "Mapping URL " << n.detail << "\n"; break;
    case PushEvent::KeepingUrl:
      std::cerr << "Keeping URL " << n.detail << " (not in the manifest; 'stackato unmap' removes it)\n";
      break;
    case PushEvent::CreatingService: std::cerr << "Creating " << n.detail << "\n"; break;
    case PushEvent::BindingService: std::cerr << "Binding " << n.detail << " to " << n.app << "\n"; break;
    case PushEvent::Uploading: std::cerr << "Uploading " << n.app << ": " << n.detail << "\n"; break;
    case PushEvent::UploadProgress: std::cerr << "\r  Uploading (" << n.detail << "   " << std::flush; break;
    case PushEvent::UploadSent: std::cerr << "\n"; break;
    case PushEvent::UploadRetry: std::cerr << "Upload interrupted (" << n.detail << "); sending again\n"; break;
    case PushEvent::Staging: std::cerr << "Staging " << n.app << "\n"; break;
    case PushEvent::StagingOutput: std::cout << "  " << n.detail << "\n" << std::flush; break;
    case PushEvent::Deploying:
      std::cerr << "Deploying " << n.app << " (rolling): new instances start beside the running ones\n";
      break;
    case PushEvent::Starting: std::cerr << "Starting " << n.app << "\n"; break;
    case PushEvent::Restarting: std::cerr << "Restarting " << n.app << "\n"; break;
    case PushEvent::Deployed: std::cerr << n.detail << " deployed\n"; break;
    case PushEvent::Running: std::cerr << n.app << " is RUNNING\n"; break;
    case PushEvent::StoppedByNoStart: std::cerr << n.app << " was stopped (--no-start)\n"; break;
    case PushEvent::StagedNotStarted: std::cerr << n.app << " is staged and not started (--no-start)\n"; break;
    case PushEvent::LeftStopped:
      std::cerr << n.app << " was not automatically started because it was STOPPED (use --force-start)\n";
      break;
    case PushEvent::RolledBack:
      std::cerr << "Reminder: " << n.app << " was created by this push, which failed: forced the rollback\n";
      break;
    case PushEvent::RollbackFailed: std::cerr << "Could not delete " << n.app << ": " << n.detail << "\n"; break;
    case PushEvent::Step: std::cerr << n.detail << "\n"; break;
  }
}

}  // namespace stackato::client

#pragma once
// Ctrl-C and SIGTERM: the client dies at once with the usual status (130, 143), but first
// removes the temporary files it registered. Config files need no help: they are replaced by
// rename, so an interrupted write leaves the old file whole.

#include <filesystem>

namespace stackato::client {

// Installs the handlers (once; cli.cpp does it).
void install_interrupt_handlers();
// Registers a file for removal on interrupt; forget when it is gone. At most 16 at once.
void remove_on_interrupt(const std::filesystem::path& path);
void forget_on_interrupt(const std::filesystem::path& path);

}  // namespace stackato::client

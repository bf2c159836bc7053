#pragma once
// The user's terminal: is there one, asking questions, hidden input.

#include <string>
#include <vector>

namespace stackato::client {

bool stdin_is_tty();
bool stderr_is_tty();

// Prompts on stderr, reads a line from stdin (echo off when hidden). Throws at end of input.
std::string ask_line(const std::string& prompt, bool hidden);
// Numbered menu on stderr; returns the chosen entry.
std::string ask_menu(const std::string& prompt, const std::vector<std::string>& choices);

}  // namespace stackato::client

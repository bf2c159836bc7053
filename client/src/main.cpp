#include "cli.hpp"

int main(int argc, char** argv) { return stackato::client::run(argc, argv); }

// The tunnel's local listener on its own, for bench/tunnel.sh: it measures the tunnel to any
// service bound to the helper (a plain byte source here), which `stackato tunnel` refuses for
// user-provided services. Usage: bench_tunnel_listener HELPER_URL SECRET SERVICE CAFILE
// Prints the port, then serves until killed.
#include <iostream>

#include "stackato/tunnel/listener.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: bench_tunnel_listener HELPER_URL SECRET SERVICE CAFILE\n";
    return 2;
  }
  stackato::tunnel::ListenerOptions o;
  o.port = 0;
  o.url = argv[1];
  o.secret = argv[2];
  o.path = std::string("/tunnel/") + argv[3];
  o.cafile = argv[4];
  o.log = [](const std::string& line) { std::cerr << line << "\n"; };
  stackato::tunnel::Listener listener(o);
  std::cout << listener.port() << std::endl;
  listener.run();
}

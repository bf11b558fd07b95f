// The program: hands the command line to the CLI (cli.cc, the composition root).
#include "proxy/cmd/cli.h"

int main(int argc, char** argv) {
  return gatehouse::cmd::runCli(argc, argv);
}

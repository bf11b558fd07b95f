// The only file that sees every module: hands the command line to the CLI.
#include "proxy/server/cli.h"

int main(int argc, char** argv) {
  return gatehouse::server::runCli(argc, argv);
}

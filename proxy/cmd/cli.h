#pragma once
// The command line of INTERFACE.md: `gatehouse run -c FILE`, `gatehouse check -c FILE`, and
// `gatehouse -c FILE` as a short form of run. Returns the process exit code.

namespace gatehouse::cmd {

int runCli(int argc, char** argv);

}  // namespace gatehouse::cmd

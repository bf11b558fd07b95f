#include "admin-api/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace gatehouse::admin {
namespace {

// /proc/self/stat fields after the command name (which may hold spaces and parentheses):
// utime and stime are fields 14 and 15, vsize 23, rss 24 (pages), counting from 1.
struct ProcStat {
  double cpu_seconds = 0;
  uint64_t virtual_bytes = 0;
  uint64_t resident_bytes = 0;
};

bool readProcStat(ProcStat& out) {
  std::ifstream f("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0, vsize = 0, rss = 0;
  // Field 3 (state) is the first after ") ".
  for (int n = 3; n <= 24 && rest >> field; ++n) {
    if (n == 14) utime = std::stoull(field);
    if (n == 15) stime = std::stoull(field);
    if (n == 23) vsize = std::stoull(field);
    if (n == 24) rss = std::stoull(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  if (ticks <= 0 || page <= 0) return false;
  out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  out.virtual_bytes = vsize;
  out.resident_bytes = rss * static_cast<uint64_t>(page);
  return true;
}

int64_t openFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int64_t n = 0;
  while (const dirent* e = readdir(dir))
    if (e->d_name[0] != '.') ++n;
  closedir(dir);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

void addProcessMetrics(PrometheusText& out, std::chrono::system_clock::time_point started) {
  ProcStat stat;
  // The boundary: a malformed /proc line must not end a scrape (stoull throws).
  try {
    if (readProcStat(stat)) {
      out.add(Metric::ProcessCpu, {}, stat.cpu_seconds);
      out.add(Metric::ProcessRss, {}, stat.resident_bytes);
      out.add(Metric::ProcessVirtual, {}, stat.virtual_bytes);
    }
  } catch (const std::exception&) {
  }
  if (const int64_t fds = openFds(); fds >= 0) out.add(Metric::ProcessOpenFds, {}, fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    out.add(Metric::ProcessMaxFds, {}, static_cast<uint64_t>(limit.rlim_cur));
  const std::chrono::duration<double> since_epoch = started.time_since_epoch();
  out.add(Metric::ProcessStart, {}, since_epoch.count());
}

}  // namespace gatehouse::admin

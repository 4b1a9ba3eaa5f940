#include "tools/bench/machine.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

#include "tools/bench/printf_string.h"

namespace pj::cli {
namespace {

// The value of the first "key : value" line of /proc/cpuinfo whose key is `key`.
std::string cpuinfo_value(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    if (name != key) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

// "2025-03-01T14:02:11+01:00", as Google Benchmark's context.date.
std::string iso_date_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  const long offset = local.tm_gmtoff / 60;  // minutes east of UTC
  const long minutes = offset < 0 ? -offset : offset;
  return printf_string("%s%c%02ld:%02ld", text, offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}

}  // namespace

Machine describe_machine() {
  Machine m;
  m.cpu_model = cpuinfo_value("model name");
  if (m.cpu_model.empty()) m.cpu_model = "unknown CPU";
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host_name = host;
  m.num_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  m.mhz = std::atof(cpuinfo_value("cpu MHz").c_str());
  m.date = iso_date_now();
  return m;
}

}  // namespace pj::cli

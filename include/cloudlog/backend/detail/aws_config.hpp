// Reading the AWS CLI's shared files (~/.aws/credentials, ~/.aws/config): INI sections
// of "key = value" lines.
#ifndef CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP
#define CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace cloudlog::detail {

inline std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == s.npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// The keys of section SECTION of the INI file PATH (empty if the file or section is missing).
inline std::map<std::string, std::string> ini_section(const std::filesystem::path& path,
                                                      std::string_view section) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    const auto t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      inside = trim(std::string_view(t).substr(1, t.size() - 2)) == section;
      continue;
    }
    if (!inside) continue;
    const auto eq = t.find('=');
    if (eq == t.npos) continue;
    out[trim(std::string_view(t).substr(0, eq))] = trim(std::string_view(t).substr(eq + 1));
  }
  return out;
}

inline std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

inline std::filesystem::path aws_file(const char* env, const char* name) {
  if (auto p = env_or(env); !p.empty()) return p;
  return std::filesystem::path(env_or("HOME", ".")) / ".aws" / name;
}

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP

// SPDX-License-Identifier: BSL-1.0
// Reading the AWS CLI's shared files (~/.aws/credentials, ~/.aws/config): INI sections
// of "key = value" lines, with nested blocks ("s3 =" and indented lines below it).
#ifndef CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP
#define CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
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

// The keys of section SECTION of TEXT, an INI file's contents (empty if the
// section is missing). A key with an empty value followed by indented lines is a
// nested block: its keys come out as "BLOCK.KEY" ("dynamodb.endpoint_url"), never
// as the section's own keys.
inline std::map<std::string, std::string> ini_section_text(std::string_view text,
                                                           std::string_view section) {
  std::map<std::string, std::string> out;
  std::string block;
  bool inside = false;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == text.npos ? text.size() : nl + 1);
    const auto t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    const bool indented = line[0] == ' ' || line[0] == '\t';
    if (t.front() == '[' && t.back() == ']') {
      inside = trim(std::string_view(t).substr(1, t.size() - 2)) == section;
      block.clear();
      continue;
    }
    if (!inside) continue;
    const auto eq = t.find('=');
    if (eq == t.npos) continue;
    auto key = trim(std::string_view(t).substr(0, eq));
    auto value = trim(std::string_view(t).substr(eq + 1));
    if (indented && !block.empty()) {
      out[block + "." + key] = std::move(value);
      continue;
    }
    block = value.empty() ? key : std::string{};
    if (!value.empty()) out[key] = std::move(value);
  }
  return out;
}

// The contents of the file PATH (empty if it is missing or unreadable).
inline std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The keys of section SECTION of the INI file PATH, as ini_section_text reads them
// (empty if the file or section is missing).
inline std::map<std::string, std::string> ini_section(const std::filesystem::path& path,
                                                      std::string_view section) {
  return ini_section_text(file_text(path), section);
}

inline std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

inline std::filesystem::path aws_file(const char* env, const char* name) {
  if (auto p = env_or(env); !p.empty()) return p;
  return std::filesystem::path(env_or("HOME", ".")) / ".aws" / name;
}

// A profile as the AWS CLI sees it: its section of the config file ("[default]"
// or "[profile NAME]"), of the credentials file ("[NAME]"), and the services
// section the profile names ("services = NAME" -> "[services NAME]").
struct aws_profile {
  std::string name;
  std::map<std::string, std::string> config, credentials, services;

  // The profile NAME from the contents of a config file and a credentials file.
  static aws_profile from_text(std::string name, std::string_view config_text,
                               std::string_view credentials_text) {
    aws_profile p;
    p.name = std::move(name);
    p.config = ini_section_text(config_text, p.name == "default" ? "default" : "profile " + p.name);
    p.credentials = ini_section_text(credentials_text, p.name);
    if (auto s = p.config.find("services"); s != p.config.end())
      p.services = ini_section_text(config_text, "services " + s->second);
    return p;
  }

  // Reads the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE, else "default") from
  // AWS_CONFIG_FILE (~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials),
  // as from_text reads them (a missing file counts as empty).
  static aws_profile from_environment() {
    return from_text(env_or("AWS_PROFILE", env_or("AWS_DEFAULT_PROFILE", "default")),
                     file_text(aws_file("AWS_CONFIG_FILE", "config")),
                     file_text(aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")));
  }

  // KEY from the credentials file's section, else the config file's ("" if neither).
  std::string get(const std::string& key) const {
    if (auto i = credentials.find(key); i != credentials.end()) return i->second;
    if (auto i = config.find(key); i != config.end()) return i->second;
    return {};
  }
};

}  // namespace cloudlog::detail

#endif  // CLOUDLOG_BACKEND_DETAIL_AWS_CONFIG_HPP

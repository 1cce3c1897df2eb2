// Parsers of the configuration's newer sections (mail, webhooks), kept apart from config.cpp so
// each file stays one screenful of concerns. Each returns the problem, naming the key.
#pragma once
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "core/config.hpp"

namespace archon {

std::optional<std::string> parse_mail(const YAML::Node& n, MailConfig& c);
std::optional<std::string> parse_webhooks(const YAML::Node& n, WebhooksConfig& c);

}  // namespace archon

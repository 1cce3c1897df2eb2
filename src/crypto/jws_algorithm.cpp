#include "crypto/jws_algorithm.hpp"

namespace archon::crypto {

std::string_view jose_name(JwsAlgorithm alg) noexcept {
  switch (alg) {
    case JwsAlgorithm::kRS256:
      return "RS256";
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kEdDSA:
      return "EdDSA";
  }
  return "";
}

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) noexcept {
  for (const auto alg : {JwsAlgorithm::kRS256, JwsAlgorithm::kES256, JwsAlgorithm::kEdDSA})
    if (name == jose_name(alg)) return alg;
  return std::nullopt;
}

bool is_valid_kid(std::string_view kid) noexcept {
  if (kid.empty() || kid.size() > kMaxKidLength) return false;
  for (const char c : kid) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

}  // namespace archon::crypto

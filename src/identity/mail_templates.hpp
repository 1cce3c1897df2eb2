// The messages the identity service sends. Plain text; tokens appear on a line of their own
// ("Verification token: ...") so a person can copy them and a test can find them.
#pragma once
#include <string>

#include "store/mail_outbox_repository.hpp"

namespace archon::identity {

store::OutboxMessage verification_mail(const std::string& to, const std::string& name, const std::string& token,
                                       const std::string& public_url);
store::OutboxMessage existing_account_mail(const std::string& to, const std::string& public_url);
store::OutboxMessage password_reset_mail(const std::string& to, const std::string& token, const std::string& public_url);
store::OutboxMessage password_changed_mail(const std::string& to);

}  // namespace archon::identity

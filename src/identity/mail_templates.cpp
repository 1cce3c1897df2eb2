#include "identity/mail_templates.hpp"

namespace archon::identity {

store::OutboxMessage verification_mail(const std::string& to, const std::string& name, const std::string& token,
                                       const std::string& public_url) {
  return {to, "Verify your email address",
          "Hello " + name + ",\n\nPlease confirm this address to finish creating your archon account.\n\n"
          "Verification token: " + token + "\n\n"
          "Send it to " + public_url + "/api/v2/auth/verify-email within 24 hours.\n"
          "If you did not register, ignore this message.\n"};
}

store::OutboxMessage existing_account_mail(const std::string& to, const std::string& public_url) {
  return {to, "Someone tried to register with your address",
          "Hello,\n\nSomeone tried to create an archon account with this address, which already has one.\n"
          "If it was you, log in instead, or reset your password at " + public_url +
          "/api/v2/auth/password-reset.\nIf it was not you, you can ignore this message.\n"};
}

store::OutboxMessage password_reset_mail(const std::string& to, const std::string& token,
                                         const std::string& public_url) {
  return {to, "Reset your password",
          "Hello,\n\nA password reset was requested for your archon account.\n\n"
          "Reset token: " + token + "\n\n"
          "Send it with your new password to " + public_url + "/api/v2/auth/password-reset/confirm within "
          "15 minutes. Every session will be signed out.\nIf you did not ask for this, ignore this message.\n"};
}

store::OutboxMessage password_changed_mail(const std::string& to) {
  return {to, "Your password was changed",
          "Hello,\n\nThe password of your archon account was just changed, and your other sessions were signed "
          "out.\nIf this was not you, reset your password now and contact your administrator.\n"};
}

}  // namespace archon::identity

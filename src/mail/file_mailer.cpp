#include "mail/file_mailer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>


#include "core/log.hpp"
#include "mail/message_format.hpp"
#include "mail/message_nonce.hpp"

namespace archon::mail {
namespace {

bool is_printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

std::string errno_text(const char* what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

// mkdir -p with the last component 0700: the files hold single-use tokens.
Expected<bool, std::string> ensure_private_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (ec) return Unexpected{"cannot create " + dir.parent_path().string() + ": " + ec.message()};
  if (::mkdir(dir.c_str(), 0700) == 0) return true;
  if (errno != EEXIST) return Unexpected{errno_text("cannot create", dir)};
  if (!std::filesystem::is_directory(dir, ec)) return Unexpected{dir.string() + " exists and is not a directory"};
  return false;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }
  // close() can report a deferred write error (e.g. on NFS); it must not be ignored.
  bool close() noexcept {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Temp file, fsync, rename, fsync the directory: after a crash the name holds the whole
// content or does not exist. The temp name starts with '.' so "*.eml" never matches it.
Expected<std::filesystem::path, std::string> write_file_atomically(const std::filesystem::path& dir,
                                                                   const std::string& name,
                                                                   std::string_view content) {
  std::filesystem::path final_path = dir / name;
  std::string temp = (dir / ("." + name + ".tmp-XXXXXX")).string();
  FileDescriptor file(::mkstemp(temp.data()));  // O_EXCL, mode 0600
  if (file.get() < 0) return Unexpected{errno_text("cannot create a temp file in", dir)};
  auto fail = [&](const char* what) -> Expected<std::filesystem::path, std::string> {
    std::string reason = errno_text(what, temp);
    ::unlink(temp.c_str());
    return Unexpected{std::move(reason)};
  };
  if (::fchmod(file.get(), 0600) != 0) return fail("cannot chmod");
  if (!write_all(file.get(), content)) return fail("cannot write");
  if (::fsync(file.get()) != 0) return fail("cannot fsync");
  if (!file.close()) return fail("cannot close");
  if (::rename(temp.c_str(), final_path.c_str()) != 0) return fail("cannot rename");
  // Without this the rename itself may not survive a power loss. Failing here reports an
  // error although the file is in place: a retry then writes a duplicate, never a loss.
  FileDescriptor directory(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0 || ::fsync(directory.get()) != 0) return Unexpected{errno_text("cannot fsync", dir)};
  return final_path;
}

// A crash between mkstemp and rename leaves a hidden temp file that nothing will complete.
// Only old ones go: a file this young may belong to another process writing right now.
void remove_abandoned_temp_files(const std::filesystem::path& dir) {
  std::error_code ec;
  auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::minutes(10);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.front() != '.' || name.find(".eml.tmp-") == std::string::npos) continue;
    std::error_code entry_ec;
    if (entry.last_write_time(entry_ec) < cutoff && !entry_ec && std::filesystem::remove(entry.path(), entry_ec))
      log::warn("removed an abandoned mail temp file", {{"path", entry.path().string()}});
  }
}

}  // namespace

FileMailer::FileMailer(FileMailerOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
  if (options_.from.empty() || !is_printable_ascii(options_.from))
    throw std::runtime_error("mail sender must be printable ASCII");
  if (!is_printable_ascii(options_.message_id_domain) || !is_single_address("x@" + options_.message_id_domain))
    throw std::runtime_error("mail message-id domain is not a plain ASCII domain");
  auto created = ensure_private_directory(options_.directory);
  if (!created) throw std::runtime_error("mail directory: " + created.error());
  if (*created) log::info("mail directory created", {{"path", options_.directory.string()}});
  remove_abandoned_temp_files(options_.directory);
}

DeliveryResult FileMailer::deliver(const store::OutboxMessage& message, std::int64_t message_id) {
  auto now = options_.now();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto nonce = message_nonce();
  if (!nonce) return Unexpected{nonce.error()};
  MessageHeaders headers{
      options_.from,
      rfc5322_date(now),
      "<" + std::to_string(millis) + "." + std::to_string(message_id) + "." + *nonce + "@" +
          options_.message_id_domain + ">",
  };
  auto text = compose_message(message, headers);
  if (!text) return Unexpected{text.error()};

  // Someone may have removed the folder to clear it out; recreate it rather than fail forever.
  if (auto dir = ensure_private_directory(options_.directory); !dir) return Unexpected{dir.error()};
  auto path = write_file_atomically(options_.directory,
                                    std::to_string(millis) + "-" + std::to_string(message_id) + ".eml", *text);
  if (!path) return Unexpected{path.error()};
  return DeliveryReceipt{path->string()};
}

}  // namespace archon::mail

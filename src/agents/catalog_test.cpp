#include "agents/catalog.hpp"

#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace archon::agents {
namespace {

const std::string kVocabulary = R"(capabilities:
  file:read: Read files.
  file:write: Write files.
  git:commit: Commit.
  npm:install: Install npm packages.
)";

// A catalog holding one type, `body` being its definition (indented by four spaces).
std::string one_type(const std::string& name, const std::string& body) {
  return kVocabulary + "agent_types:\n  " + name + ":\n" + body;
}

const std::string kGoodBody = R"(    description: Writes code.
    capabilities: [file:read, file:write, git:commit, npm:install]
    requires_approval: [npm:install]
    default_restrictions:
      file_paths: ["/project/src/**"]
      git_branches: ["feature/*"]
      max_file_size: "10MB"
    max_token_lifetime_seconds: 3600
    common: true
)";

// kGoodBody with the line starting with `key:` replaced by `line` (or removed when empty).
std::string body_with(const std::string& key, const std::string& line) {
  std::string out;
  std::size_t pos = 0;
  while (pos < kGoodBody.size()) {
    std::size_t end = kGoodBody.find('\n', pos) + 1;
    std::string l = kGoodBody.substr(pos, end - pos);
    std::size_t indent = l.find_first_not_of(' ');
    if (l.compare(indent, key.size() + 1, key + ":") == 0)
      out += line.empty() ? "" : std::string(indent, ' ') + line + "\n";
    else
      out += l;
    pos = end;
  }
  return out;
}

std::string error_of(const std::string& yaml) {
  auto r = AgentCatalog::parse_yaml(yaml);
  EXPECT_FALSE(r.has_value()) << yaml;
  return r ? std::string() : r.error();
}

TEST(AgentCatalog, AMinimalCatalogParses) {
  auto c = AgentCatalog::parse_yaml(one_type("writer", kGoodBody));
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->types().size(), 1u);
  ASSERT_EQ(c->capabilities().size(), 4u);
  EXPECT_EQ(c->capabilities()[0].name, "file:read");
  EXPECT_EQ(c->capabilities()[0].description, "Read files.");
  EXPECT_TRUE(c->is_capability("npm:install"));
  EXPECT_FALSE(c->is_capability("npm:instal"));
  const AgentType* t = c->find("writer");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "writer");
  EXPECT_EQ(t->description, "Writes code.");
  EXPECT_EQ(t->capabilities, (std::vector<std::string>{"file:read", "file:write", "git:commit", "npm:install"}));
  EXPECT_EQ(t->requires_approval, (std::vector<std::string>{"npm:install"}));
  EXPECT_TRUE(t->holds("git:commit"));
  EXPECT_FALSE(t->holds("git:push"));
  EXPECT_TRUE(t->needs_approval("npm:install"));
  EXPECT_FALSE(t->needs_approval("file:read"));
  EXPECT_EQ(t->max_token_lifetime_seconds, 3600);
  EXPECT_TRUE(t->common);
  EXPECT_EQ(c->find("nobody"), nullptr);
  EXPECT_EQ(c->find(""), nullptr);
}

TEST(AgentCatalog, OptionalKeysDefaultToTheSafeSide) {
  auto c = AgentCatalog::parse_yaml(one_type("writer", body_with("requires_approval", "")));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->find("writer")->requires_approval.empty());
  c = AgentCatalog::parse_yaml(one_type("writer", body_with("common", "")));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_FALSE(c->find("writer")->common);  // not run by agent_operator unless said so
  // Empty pattern lists are a valid shape (the type may name no path, no branch).
  c = AgentCatalog::parse_yaml(one_type("writer", body_with("file_paths", "file_paths: []")));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->find("writer")->default_restrictions.at("file_paths").as_array().empty());
}

TEST(AgentCatalog, TypesKeepFileOrder) {
  auto c = AgentCatalog::parse_yaml(kVocabulary + "agent_types:\n  zeta:\n" + kGoodBody + "  alpha:\n" + kGoodBody);
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->types().size(), 2u);
  EXPECT_EQ(c->types()[0].name, "zeta");
  EXPECT_EQ(c->types()[1].name, "alpha");
  EXPECT_EQ(c->find("alpha"), &c->types()[1]);
}

TEST(AgentCatalog, RestrictionsAreStoredAsJson) {
  auto c = AgentCatalog::parse_yaml(one_type("writer", kGoodBody));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->find("writer")->default_restrictions,
            boost::json::parse(R"({"file_paths":["/project/src/**"],"git_branches":["feature/*"],"max_file_size":"10MB"})")
                .as_object());
}

TEST(AgentCatalog, UnknownKeysAreNamed) {
  EXPECT_EQ(error_of(one_type("writer", kGoodBody) + "roles: {}\n"), "roles: unknown key");
  EXPECT_EQ(error_of(one_type("writer", kGoodBody + "    max_lifetime: 60\n")),
            "agent_types.writer.max_lifetime: unknown key");
  EXPECT_EQ(error_of(one_type("writer", body_with("max_file_size", "max_file_size: 1MB\n      max_files: 3"))),
            "agent_types.writer.default_restrictions.max_files: unknown key");
}

TEST(AgentCatalog, MissingKeysAreNamed) {
  EXPECT_EQ(error_of(kVocabulary), "agent_types: required");
  EXPECT_EQ(error_of("agent_types:\n  writer:\n" + kGoodBody), "capabilities: required");
  for (const std::string key : {"description", "capabilities", "max_token_lifetime_seconds"})
    EXPECT_EQ(error_of(one_type("writer", body_with(key, ""))), "agent_types.writer." + key + ": required");
  const std::string no_restrictions = R"(    description: Writes code.
    capabilities: [file:read]
    max_token_lifetime_seconds: 3600
)";
  EXPECT_EQ(error_of(one_type("writer", no_restrictions)), "agent_types.writer.default_restrictions: required");
  EXPECT_EQ(error_of(one_type("writer", body_with("git_branches", ""))),
            "agent_types.writer.default_restrictions.git_branches: required");
}

TEST(AgentCatalog, CapabilitiesMustBeInTheVocabulary) {
  EXPECT_EQ(error_of(one_type("writer", body_with("capabilities", "capabilities: [file:read, npm:instal]"))),
            "agent_types.writer.capabilities[1]: unknown capability 'npm:instal'");
  EXPECT_EQ(error_of(one_type("writer", body_with("requires_approval", "requires_approval: [pip:install]"))),
            "agent_types.writer.requires_approval[0]: unknown capability 'pip:install'");
  EXPECT_EQ(error_of(one_type("writer", body_with("capabilities", "capabilities: [file:read, file:read]"))),
            "agent_types.writer.capabilities[1]: duplicate capability 'file:read'");
  EXPECT_EQ(error_of(one_type("writer", body_with("capabilities", "capabilities: []"))),
            "agent_types.writer.capabilities: must name at least one capability");
  EXPECT_EQ(error_of(one_type("writer", body_with("capabilities", "capabilities: file:read"))),
            "agent_types.writer.capabilities: expected a list of strings");
}

TEST(AgentCatalog, ApprovalMustBeASubsetOfTheCapabilities) {
  EXPECT_EQ(error_of(one_type("writer", body_with("capabilities", "capabilities: [file:read, git:commit]"))),
            "agent_types.writer.requires_approval[0]: 'npm:install' is not among agent_types.writer.capabilities");
  EXPECT_EQ(
      error_of(one_type("writer", body_with("requires_approval", "requires_approval: [npm:install, npm:install]"))),
      "agent_types.writer.requires_approval[1]: duplicate capability 'npm:install'");
}

TEST(AgentCatalog, AgentTypeNamesAreChecked) {
  const std::string why = ": an agent type name must match [a-z][a-z0-9_]{1,63}";
  for (const std::string& bad : {std::string("Code_implementer"), std::string("x"), std::string("9lives"),
                                std::string("_under"), std::string("code-implementer"), std::string("code implementer"),
                                std::string(65, 'a')})
    EXPECT_EQ(error_of(one_type("\"" + bad + "\"", kGoodBody)), "agent_types." + bad + why) << bad;
  EXPECT_TRUE(AgentCatalog::parse_yaml(one_type(std::string(64, 'a'), kGoodBody)).has_value());
  EXPECT_TRUE(AgentCatalog::parse_yaml(one_type("a1", kGoodBody)).has_value());
}

TEST(AgentCatalog, CapabilityNamesAreChecked) {
  for (const std::string bad : {"file", "File:read", "file:", ":read", "file:read:all", "file-x:read", "file:re ad"}) {
    std::string yaml = "capabilities:\n  \"" + bad + "\": Bad.\nagent_types: {}\n";
    EXPECT_EQ(error_of(yaml).rfind("capabilities." + bad + ": a capability is named resource:action", 0), 0u) << bad;
  }
  EXPECT_TRUE(is_valid_capability_name("deploy:production"));
  EXPECT_TRUE(is_valid_capability_name("a:b"));
  EXPECT_FALSE(is_valid_capability_name(std::string(40, 'a') + ":" + std::string(24, 'b')));  // 65 characters
  EXPECT_EQ(error_of("capabilities:\n  file:read: Read.\n  file:read: Again.\nagent_types: {}\n"),
            "capabilities.file:read: duplicate capability");
  EXPECT_EQ(error_of("capabilities:\n  file:read: \"\"\nagent_types: {}\n"), "capabilities.file:read: must not be empty");
  EXPECT_EQ(error_of("capabilities:\n  file:read: [a]\nagent_types: {}\n"), "capabilities.file:read: expected a string");
  EXPECT_EQ(error_of("capabilities: {}\nagent_types: {}\n"), "capabilities: must name at least one capability");
  EXPECT_EQ(error_of("capabilities: [file:read]\nagent_types: {}\n"),
            "capabilities: expected a mapping of capability name to description");
}

TEST(AgentCatalog, LifetimesAreBounded) {
  const std::string p = "agent_types.writer.max_token_lifetime_seconds";
  EXPECT_EQ(error_of(one_type("writer", body_with("max_token_lifetime_seconds", "max_token_lifetime_seconds: 59"))),
            p + ": must be between 60 and 3600");
  EXPECT_EQ(error_of(one_type("writer", body_with("max_token_lifetime_seconds", "max_token_lifetime_seconds: 3601"))),
            p + ": must be between 60 and 3600");
  EXPECT_EQ(error_of(one_type("writer", body_with("max_token_lifetime_seconds", "max_token_lifetime_seconds: 1h"))),
            p + ": expected an integer, got '1h'");
  auto c = AgentCatalog::parse_yaml(one_type("writer", body_with("max_token_lifetime_seconds", "max_token_lifetime_seconds: 60")));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->find("writer")->max_token_lifetime_seconds, 60);
}

TEST(AgentCatalog, DuplicateTypesAreRefused) {
  EXPECT_EQ(error_of(kVocabulary + "agent_types:\n  writer:\n" + kGoodBody + "  writer:\n" + kGoodBody),
            "agent_types.writer: duplicate agent type");
}

TEST(AgentCatalog, AtLeastOneTypeIsRequired) {
  EXPECT_EQ(error_of(kVocabulary + "agent_types: {}\n"), "agent_types: must define at least one agent type");
  EXPECT_EQ(error_of(kVocabulary + "agent_types: []\n"),
            "agent_types: expected a mapping of agent type name to definition");
}

TEST(AgentCatalog, ShapesAreChecked) {
  const std::string t = "agent_types.writer";
  EXPECT_EQ(error_of(one_type("writer", body_with("common", "common: yes"))), t + ".common: expected true or false");
  EXPECT_EQ(error_of(one_type("writer", body_with("description", "description: \"\""))),
            t + ".description: must not be empty");
  EXPECT_EQ(error_of(one_type("writer", body_with("description", "description: \"two\\nlines\""))),
            t + ".description: must be a single line");
  EXPECT_EQ(error_of(one_type("writer", body_with("file_paths", "file_paths: \"/project/**\""))),
            t + ".default_restrictions.file_paths: expected a list of strings");
  EXPECT_EQ(error_of(one_type("writer", body_with("git_branches", "git_branches: [\"feature/*\", [x]]"))),
            t + ".default_restrictions.git_branches[1]: expected a string");
  EXPECT_EQ(error_of(one_type("writer", body_with("git_branches", "git_branches: [\"\"]"))),
            t + ".default_restrictions.git_branches[0]: must not be empty");
  EXPECT_EQ(error_of(one_type("writer", body_with("max_file_size", "max_file_size: [10MB]"))),
            t + ".default_restrictions.max_file_size: expected a string");
  EXPECT_EQ(error_of(one_type("writer", "    - description\n")), t + ": expected a mapping");
  EXPECT_EQ(error_of(one_type("writer", kGoodBody + "    common: false\n")), t + ".common: duplicate key");
}

TEST(AgentCatalog, RestrictionSyntaxIsCheckedAtLoad) {
  // The rules are restrictions.hpp's; the catalog only puts its key in front of their errors.
  const std::string r = "agent_types.writer.default_restrictions.";
  auto starts = [](const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; };
  EXPECT_PRED2(starts, error_of(one_type("writer", body_with("file_paths", "file_paths: [\"/project/src/**\", \"src/**\"]"))),
               r + "file_paths[1]");
  EXPECT_PRED2(starts, error_of(one_type("writer", body_with("file_paths", "file_paths: [\"/project/../etc/**\"]"))),
               r + "file_paths[0]");
  EXPECT_PRED2(starts, error_of(one_type("writer", body_with("git_branches", "git_branches: [\"feature/*\", \"main \"]"))),
               r + "git_branches[1]");
  EXPECT_PRED2(starts, error_of(one_type("writer", body_with("max_file_size", "max_file_size: 10 MB"))),
               r + "max_file_size");
  EXPECT_PRED2(starts, error_of(one_type("writer", body_with("max_file_size", "max_file_size: 10XB"))),
               r + "max_file_size");
}

TEST(AgentCatalog, DocumentLevelErrors) {
  EXPECT_EQ(error_of(""), "top level: the catalog is empty");
  EXPECT_EQ(error_of("- a\n"), "top level: expected a mapping");
  EXPECT_EQ(error_of("capabilities: [\n").rfind("YAML syntax error at line ", 0), 0u);
  auto r = AgentCatalog::load_file("/nonexistent/agents.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), "/nonexistent/agents.yaml: cannot be read");
}

// ---- the catalog shipped in config/agents.yaml ----

const AgentCatalog& shipped() {
  static const AgentCatalog c = [] {
    auto r = AgentCatalog::load_file(std::string(ARCHON_SOURCE_DIR) + "/config/agents.yaml");
    EXPECT_TRUE(r.has_value()) << r.error();
    return r ? *r : AgentCatalog();
  }();
  return c;
}

TEST(ShippedAgentCatalog, ParsesWithAtLeast22Types) {
  EXPECT_GE(shipped().types().size(), 22u);
  for (const char* name :
       {"code_implementer", "system_architect", "code_reviewer", "test_writer", "documentation_writer",
        "security_auditor", "dependency_manager", "refactoring_agent", "bug_fixer", "performance_optimizer",
        "database_migrator", "devops_engineer", "release_manager", "api_designer", "ui_implementer", "data_analyst",
        "incident_responder", "ci_maintainer", "code_explainer", "license_auditor", "translation_agent",
        "test_runner", "project_planner", "accessibility_auditor"})
    EXPECT_NE(shipped().find(name), nullptr) << name;
}

TEST(ShippedAgentCatalog, CodeImplementerIsTheSpecsExample) {
  const AgentType* t = shipped().find("code_implementer");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->default_restrictions,
            boost::json::parse(R"({"file_paths":["/project/src/**"],"git_branches":["feature/*"],"max_file_size":"10MB"})")
                .as_object());
  EXPECT_TRUE(t->common);
  EXPECT_EQ(t->max_token_lifetime_seconds, 3600);
  // The spec's request: file:read, file:write, git:commit granted; npm:install denied for approval.
  for (const char* c : {"file:read", "file:write", "git:commit"}) {
    EXPECT_TRUE(t->holds(c)) << c;
    EXPECT_FALSE(t->needs_approval(c)) << c;
  }
  EXPECT_TRUE(t->holds("npm:install"));
  EXPECT_TRUE(t->needs_approval("npm:install"));
  // The rest of the spec's code_implementer example asks for file:create and shell:execute too.
  EXPECT_TRUE(t->holds("file:create"));
  EXPECT_TRUE(t->holds("shell:execute"));
}

TEST(ShippedAgentCatalog, TheVocabularyIsCompleteAndUsed) {
  for (const char* c : {"file:read", "file:write", "file:create", "file:delete", "git:read", "git:commit", "git:push",
                        "git:branch", "npm:install", "pip:install", "shell:execute", "test:run", "db:read",
                        "db:migrate", "deploy:staging", "deploy:production", "network:fetch", "secrets:read",
                        "issue:read", "issue:write"})
    EXPECT_TRUE(shipped().is_capability(c)) << c;
  std::set<std::string> used;
  for (const auto& t : shipped().types()) used.insert(t.capabilities.begin(), t.capabilities.end());
  for (const auto& c : shipped().capabilities()) EXPECT_TRUE(used.count(c.name)) << c.name << " is held by no type";
}

TEST(ShippedAgentCatalog, PolicyInvariants) {
  bool some_common = false, some_not = false;
  for (const auto& t : shipped().types()) {
    EXPECT_LE(t.max_token_lifetime_seconds, 3600) << t.name;
    (t.common ? some_common : some_not) = true;
    // Whatever escapes the restrictions or reaches production needs approval wherever it appears.
    for (const char* c : {"shell:execute", "secrets:read", "deploy:production", "package:publish", "service:restart",
                          "db:write"})
      EXPECT_TRUE(!t.holds(c) || t.needs_approval(c)) << t.name << " " << c;
    // Dependency installs need approval everywhere but in the type whose job they are.
    if (t.name != "dependency_manager") {
      for (const char* c : {"npm:install", "pip:install"})
        EXPECT_TRUE(!t.holds(c) || t.needs_approval(c)) << t.name << " " << c;
    }
  }
  EXPECT_TRUE(some_common);
  EXPECT_TRUE(some_not);
  // code_explainer is read-only.
  const AgentType* ex = shipped().find("code_explainer");
  ASSERT_NE(ex, nullptr);
  for (const auto& c : ex->capabilities)
    EXPECT_TRUE(c.ends_with(":read")) << c;
}

}  // namespace
}  // namespace archon::agents

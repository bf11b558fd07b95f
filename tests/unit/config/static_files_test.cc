// `static:` golden errors and defaults.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "config_test_support.h"

namespace gatehouse::config {
namespace {

using testing::errorsOf;
using testing::load;
using testing::minimalPlus;

TEST(Statics, DefaultsAndAllKeys) {
  auto config = load(minimalPlus(R"(static:
  - { prefix: /static/, root: /usr/share/ }
  - prefix: /assets/
    root: /usr/lib
    versioned: true
    manifest: /assets/manifest.json
    keep_versions: 24h
    versions_dir: /var/cache/gatehouse/assets
    index: index.html
    allow_symlinks: true
    dotfiles: true
    precompressed: false
    types: { js: application/javascript, WASM: application/wasm }
)"));
  ASSERT_EQ(config->statics.size(), 2u);
  const StaticConfig& plain = config->statics[0];
  EXPECT_EQ(plain.prefix, "/static/");
  EXPECT_EQ(plain.root, "/usr/share");
  EXPECT_FALSE(plain.versioned);
  EXPECT_EQ(plain.keep_versions.count(), 0);
  EXPECT_TRUE(plain.index.empty());
  EXPECT_FALSE(plain.allow_symlinks);
  EXPECT_FALSE(plain.dotfiles);
  EXPECT_TRUE(plain.precompressed);
  const StaticConfig& full = config->statics[1];
  EXPECT_TRUE(full.versioned);
  EXPECT_EQ(full.manifest, "/assets/manifest.json");
  EXPECT_EQ(full.keep_versions, std::chrono::hours(24));
  EXPECT_EQ(full.versions_dir, "/var/cache/gatehouse/assets");
  EXPECT_EQ(full.index, "index.html");
  EXPECT_TRUE(full.allow_symlinks);
  EXPECT_TRUE(full.dotfiles);
  EXPECT_FALSE(full.precompressed);
  ASSERT_EQ(full.types.size(), 2u);
  EXPECT_EQ(full.types[1].first, "wasm");
}

TEST(Statics, RequirePrefixAndRoot) {
  EXPECT_EQ(errorsOf(minimalPlus("static:\n  - { versioned: true }\n")),
            "gatehouse.yaml:10:5: static[0].prefix: required key is missing\n"
            "gatehouse.yaml:10:5: static[0].root: required key is missing");
}

TEST(Statics, CheckPrefixRootAndIndex) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(static:
  - { prefix: /static, root: srv }
  - { prefix: "/a b/", root: /usr, index: ../x }
  - { prefix: /a/../b/, root: /usr, index: a/b }
)")),
            "gatehouse.yaml:10:15: static[0].prefix: must start and end with \"/\", got "
            "\"/static\"\n"
            "gatehouse.yaml:10:30: static[0].root: must be an absolute path, got \"srv\"\n"
            "gatehouse.yaml:11:15: static[1].prefix: bad prefix \"/a b/\": only a plain URL path\n"
            "gatehouse.yaml:11:43: static[1].index: must be a file name, got \"../x\"\n"
            "gatehouse.yaml:12:15: static[2].prefix: bad prefix \"/a/../b/\": no \".\" or \"..\" "
            "segments\n"
            "gatehouse.yaml:12:44: static[2].index: must be a file name, got \"a/b\"");
}

TEST(Statics, RootMustBeAnExistingFolder) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(static:
  - { prefix: /a/, root: /nonexistent-gatehouse-root }
  - { prefix: /b/, root: /etc/hostname }
)")),
            "gatehouse.yaml:10:26: static[0].root: cannot use \"/nonexistent-gatehouse-root\": No "
            "such file or directory\n"
            "gatehouse.yaml:11:26: static[1].root: \"/etc/hostname\" is not a folder");
}

TEST(Statics, ManifestAndKeepVersionsNeedVersioned) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(static:
  - { prefix: /s/, root: /usr, manifest: /s/m.json, keep_versions: 1h }
  - { prefix: /t/, root: /usr, versioned: true, manifest: /other/m.json, keep_versions: 1h }
)")),
            "gatehouse.yaml:10:42: static[0].manifest: needs versioned: true\n"
            "gatehouse.yaml:10:68: static[0].keep_versions: needs versioned: true\n"
            "gatehouse.yaml:11:59: static[1].manifest: must be a URL under the prefix \"/t/\", "
            "got \"/other/m.json\"\n"
            "gatehouse.yaml:11:89: static[1].keep_versions: needs versions_dir (a folder for the "
            "copies of old versions), or a state_file whose folder holds them");
}

// Issue 16: a versioned site keeps old versions for 24h by default, under the state directory
// (the state_file's folder, else systemd's $STATE_DIRECTORY); with neither, keeping is off.
TEST(Statics, VersionedSitesKeepOldVersionsUnderTheStateDirectoryByDefault) {
  unsetenv("STATE_DIRECTORY");
  auto with_state = load(minimalPlus(R"(state_file: /tmp/state.json
static:
  - { prefix: /assets/js/, root: /usr, versioned: true }
  - { prefix: /own/, root: /usr, versioned: true, versions_dir: /var/tmp/v }
  - { prefix: /off/, root: /usr, versioned: true, keep_versions: 0s }
)"));
  EXPECT_EQ(with_state->statics[0].keep_versions, std::chrono::hours(24));
  EXPECT_EQ(with_state->statics[0].versions_dir, "/tmp/static-versions/assets_js");
  EXPECT_TRUE(with_state->statics[0].versions_dir_defaulted);
  EXPECT_EQ(with_state->statics[1].keep_versions, std::chrono::hours(24));
  EXPECT_EQ(with_state->statics[1].versions_dir, "/var/tmp/v");
  EXPECT_EQ(with_state->statics[2].keep_versions.count(), 0);

  auto without = load(minimalPlus("static:\n  - { prefix: /a/, root: /usr, versioned: true }\n"));
  EXPECT_EQ(without->statics[0].keep_versions.count(), 0);
  EXPECT_TRUE(without->statics[0].versions_dir.empty());

  setenv("STATE_DIRECTORY", "/var/lib/gatehouse:/other", 1);
  auto systemd = load(minimalPlus("static:\n  - { prefix: /, root: /usr, versioned: true }\n"));
  unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(systemd->statics[0].versions_dir, "/var/lib/gatehouse/static-versions/root");
}

TEST(Statics, VersionsDirOutsideRootAndUniquePrefixes) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(static:
  - { prefix: /s/, root: /usr, versioned: true, keep_versions: 1h, versions_dir: /usr/v }
  - { prefix: /s/, root: /usr/lib }
)")),
            "gatehouse.yaml:10:5: static[0].versions_dir: must be outside root (and root outside "
            "it)\n"
            "gatehouse.yaml:11:5: static[1].prefix: duplicate prefix \"/s/\"");
}

TEST(Statics, TypesAndUnknownKeys) {
  EXPECT_EQ(errorsOf(minimalPlus(R"(static:
  - prefix: /s/
    root: /usr
    types: { .js: text/javascript, css: textcss }
    gzip: true
)")),
            "gatehouse.yaml:12:14: static[0].types..js: bad extension \".js\": write it without "
            "the dot, e.g. css\n"
            "gatehouse.yaml:12:41: static[0].types.css: bad media type \"textcss\": expected "
            "type/subtype\n"
            "gatehouse.yaml:13:5: static[0].gzip: unknown key");
}

}  // namespace
}  // namespace gatehouse::config

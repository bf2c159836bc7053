#pragma once
// The version of the store's documents, and the migrations between versions: the one place
// that says how a data dir of an older kato becomes today's. `migrate` runs at every start,
// before anything else reads the store; each migration runs in its own transaction and records
// its version, so an interrupted start resumes where it stopped. A data dir written by a newer
// kato is refused (its documents may mean what this kato does not know).
//
//   version  what changed
//   1        (no setting) the first katos
//   2        users' `_spaces` membership became space_developer role documents
//   3        every user with a role in a space holds a role in its organization (organization_user
//            when none), as Cloud Controller requires

#include <stdexcept>
#include <string>
#include <vector>

namespace kato::store {
class Store;
}

namespace kato::model {

inline constexpr int kSchemaVersion = 3;

struct Migration {
  int to;            // the version it produces
  const char* what;  // for the log
  void (*apply)(store::Store&);
};
const std::vector<Migration>& migrations();

// The data dir's version: 1 when the setting is absent.
int schema_version(store::Store& store);

struct TooNew : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Applies what is missing, in order; returns the migrations applied. Throws TooNew for a data
// dir of a newer kato.
std::vector<std::string> migrate(store::Store& store);

// Gives organization_user in the space's organization to every user holding a space role there
// and no role in the organization (migration 3; `kato add-user --space` after its grants).
void add_org_users_for_space_roles(store::Store& store);

}  // namespace kato::model

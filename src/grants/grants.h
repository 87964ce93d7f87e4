// Standing grants: `privbind grant`, `privbind revoke`, `privbind grants [apply|off]`.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace privbind::grants {

// word: "grant", "revoke" or "grants"; args: the words after it. Prints its own output; returns
// the exit status (grants: 0 in step, 1 drift) or the Error to print (125). helpCommand is set
// to the command whose --help a usage error points to.
Result<int> run(const std::string& word, const std::vector<std::string>& args,
                std::string* helpCommand);

}  // namespace privbind::grants

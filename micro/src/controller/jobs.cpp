// Jobs: async work is followed through /v3/jobs/{guid}.

#include "controller/handlers.hpp"

namespace kato::controller {

void Controller::Impl::add_job_routes() {
  add("GET", "/v3/jobs/:guid", signed_in, [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_job(c, find("job", c.param(0), "Job")));
  });
}

}  // namespace kato::controller

#!/usr/bin/env python3
"""Extracts the Cloud Controller V3 example bodies that the contract tests serve.

The bodies come from CAPI's published documentation (cloudfoundry/cloud_controller_ng,
docs/v3/source/includes/api_resources/_*.erb, `<% content_for :NAME do %> {json} <% end %>`).
Usage: capi_fixtures.py CLOUD_CONTROLLER_NG_CHECKOUT OUT_DIR

Each fixture is written as OUT_DIR/NAME.json exactly as published, with the few ERB expressions
the examples use rendered the way the documentation renders them; SOURCE.md records the
repository, commit and file of each. Any other ERB expression is an error, so that a change
upstream is noticed instead of being rendered wrong.
"""
import json
import pathlib
import re
import subprocess
import sys

# (erb file, content_for name, fixture name, the path the documentation renders it with[, the
# block's local values where its default is not the documentation's usual one])
WANTED = [
    ("_root.erb", "global_root", "root", None),
    ("_root.erb", "v3_root", "v3_root", None),
    ("_info.erb", "populated_info", "info", None),
    ("_apps.erb", "paginated_list_of_apps", "apps", "/v3/apps"),
    ("_apps.erb", "single_app", "app", None),
    ("_processes.erb", "paginated_list_of_processes", "processes", "/v3/processes"),
    ("_processes.erb", "single_process", "process", None),
    ("_processes.erb", "list_of_process_stats", "process_stats", "/v3/processes/:guid/stats"),
    ("_routes.erb", "paginated_list_of_routes", "routes", "/v3/routes"),
    ("_domains.erb", "paginated_list_of_domains", "domains", "/v3/domains"),
    ("_organizations.erb", "paginated_list_of_organizations", "organizations", "/v3/organizations"),
    ("_spaces.erb", "paginated_list_of_spaces", "spaces", "/v3/spaces"),
    ("_service_instances.erb", "paginated_list_of_service_instances", "service_instances", None),
    ("_service_offerings.erb", "paginated_list_of_service_offerings", "service_offerings", "/v3/service_offerings"),
    ("_service_plans.erb", "paginated_list_of_service_plans", "service_plans", "/v3/service_plans"),
    ("_service_credential_bindings.erb", "paginated_list_of_service_credential_bindings",
     "service_credential_bindings", "/v3/service_credential_bindings"),
    ("_service_credential_bindings.erb", "single_service_credential_binding_details", "binding_details", None),
    ("_users.erb", "paginated_list_of_users", "users", "/v3/users"),
    ("_roles.erb", "paginated_list_of_roles", "roles", "/v3/roles"),
    ("_jobs.erb", "single_complete_job", "job_complete", None),
    # push: resource matches, a package, its build (staging, then staged), the droplet, a deployment
    ("_resource_matches.erb", "resource_match", "resource_matches", None),
    ("_packages.erb", "single_bits_package", "package", None, {"state": "PROCESSING_UPLOAD"}),
    ("_builds.erb", "single_staging_build", "build_staging", None),
    ("_builds.erb", "single_staged_build", "build_staged", None),
    ("_droplets.erb", "single_staged_buildpack_droplet", "droplet", None),
    ("_deployments.erb", "single_deployment", "deployment", None),
]

DIR = "docs/v3/source/includes/api_resources"


def render(text, path, where, local=None):
    """The ERB expressions of the examples, rendered as the documentation renders them."""
    def one(m):
        expr = m.group(1).strip()
        if expr in ("base_url", "path"):
            if path is None:
                raise SystemExit(f"{where}: '{expr}' used but no path is known")
            return path
        if local and expr in local:
            return local[expr]
        if expr == "state":
            return "STARTED"
        m2 = re.fullmatch(r"metadata\.fetch\(:(labels|annotations),\s*\{\}\)\.to_json\(.*\)", expr)
        if m2:
            return "{}"
        m3 = re.fullmatch(r'metadata\.fetch\(:operation,\s*"(\w+)"\)\.to_json', expr)
        if m3:
            return json.dumps(m3.group(1))
        raise SystemExit(f"{where}: an ERB expression this script does not know: <%= {expr} %>")
    return re.sub(r"<%=(.*?)%>", one, text)


def block(source, name, where):
    m = re.search(r"<%-?\s*content_for\s+:" + re.escape(name) + r"\b[^%]*-?%>(.*?)<%-?\s*end\s*-?%>", source, re.S)
    if not m:
        raise SystemExit(f"{where}: no content_for :{name}")
    return m.group(1)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: capi_fixtures.py CLOUD_CONTROLLER_NG_CHECKOUT OUT_DIR")
    repo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Cloud Controller V3 example bodies", "",
             "Extracted by `tests/contract/capi_fixtures.py` from the CAPI V3 documentation,",
             f"https://github.com/cloudfoundry/cloud_controller_ng at commit `{commit}`",
             "(Apache License 2.0). Regenerate with:", "",
             "    python3 tests/contract/capi_fixtures.py PATH/TO/cloud_controller_ng tests/contract/fixtures", "",
             "| fixture | file | content_for |", "|---|---|---|"]
    for erb, name, fixture, path, *local in WANTED:
        where = f"{DIR}/{erb}"
        source = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{where}"], check=True, capture_output=True,
                                text=True).stdout
        text = render(block(source, name, where), path, f"{where}:{name}", local[0] if local else None)
        try:
            body = json.loads(text)
        except json.JSONDecodeError as e:
            raise SystemExit(f"{where}:{name}: not JSON after rendering: {e}")
        (out / f"{fixture}.json").write_text(json.dumps(body, indent=2) + "\n")
        lines.append(f"| {fixture}.json | {where} | {name} |")
    (out / "SOURCE.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

#pragma once

#include "compose/document.hpp"

namespace compose {

/// How canonicalize() treats values it cannot parse.
struct CanonicalizeOptions {
    /// Keep an unparsable short-syntax value as written instead of reporting it. Used when
    /// interpolation is skipped (`config --no-interpolate`), where "${PORT}:80" must survive.
    bool lenient = false;
    /// Fill the defaults of long-form entries (depends_on condition and required). Off for
    /// single files before the merge, so an override that sets only `required` keeps the
    /// base file's condition; on for the merged model.
    bool fill_defaults = true;
};

/// The defaults of long forms, on an already canonical model: depends_on entries get
/// `condition: service_started` and `required: true`, a build mapping gets `context: .`, and
/// networks and volumes declared without a body become {}. The loader runs it once on the
/// merged model, so an override that sets part of a long form keeps the base's other fields.
void fill_defaults(Document& doc);

/// Rewrites one parsed, interpolated file into the long syntax `docker compose config` prints,
/// as compose-go's transform.Canonical plus its typed decoding do: ports, volumes, devices,
/// secrets/configs, depends_on, networks, build, extends, env_file, healthcheck.test,
/// command/entrypoint become their long forms; KEY=VAL lists (environment, labels, args,
/// sysctls, ...) become mappings; extra_hosts becomes a sorted "host=ip" list; durations print
/// Go-style ("1m30s"), byte sizes as decimal strings ("52428800"). Values of an unexpected JSON
/// type are left alone for the schema validator. Locations follow the values they describe.
/// Throws schema::LoadError with every malformed value, each located at file:line:col.
void canonicalize(Document& doc, const CanonicalizeOptions& options = {});

}  // namespace compose

"""go_handler_registry: handlergen as a hermetic Bazel action (rules_go).

The rule collects the export data of the interface's and the handlers'
packages (and of everything their types refer to) from their GoArchive
providers, writes handlergen's action config, and runs
`handlergen action -config FILE`. See docs/build-farms.md.

Held by buildifier's lint and by handlergen's own action tests; Bazel was
not run on this rule.
"""

load("@io_bazel_rules_go//go:def.bzl", "GoArchive", "go_context")

def _archives(deps):
    """Every GoArchive data reachable from deps, by import path."""
    out = {}
    for dep in deps:
        archive = dep[GoArchive]
        for data in [archive.data] + archive.transitive.to_list():
            out[data.importpath] = data
    return out

def _config(ctx, archives, output, check, stamp, diagnostics):
    packages = {}

    # The standard library's export data: rules_go's stdlib directory,
    # where each standard package is PATH.a.
    stdlib = go_context(ctx).stdlib.libs
    inputs = [stdlib]
    for path, data in archives.items():
        packages[path] = data.export_file.path
        inputs.append(data.export_file)
    srcs = {}
    for dep in ctx.attr.handlers:
        data = dep[GoArchive].data
        srcs[data.importpath] = [f.path for f in data.srcs if f.path.endswith(".go")]
        inputs.extend([f for f in data.srcs if f.path.endswith(".go")])
    cfg = {
        "dir": ctx.label.package or ".",
        "args": ctx.attr.args_recorded,
        "contracts": [f.path for f in ctx.files.contracts],
        "package": ctx.attr.package_name,
        "importpath": ctx.attr.importpath,
        "modules": ctx.attr.modules,
        "packages": packages,
        "stdlib": stdlib.path,
        "srcs": srcs,
        "package_files": [f.path for f in ctx.files.package_files],
        "diagnostics": diagnostics.path,
    }
    if check:
        cfg["check"] = check.path
        cfg["stamp"] = stamp.path
        inputs.append(check)
    else:
        cfg["output"] = output.path
    inputs.extend(ctx.files.contracts)
    inputs.extend(ctx.files.package_files)
    return json.encode(cfg), inputs

def _run(ctx, config_name, content, inputs, outputs, mnemonic):
    config = ctx.actions.declare_file(config_name)
    ctx.actions.write(config, content)
    ctx.actions.run(
        executable = ctx.executable._handlergen,
        arguments = ["action", "-config", config.path],
        inputs = inputs + [config],
        outputs = outputs,
        mnemonic = mnemonic,
        progress_message = "handlergen %{label}",
        # No env, no use_default_shell_env: the action reads nothing of it.
    )

def _go_handler_registry_impl(ctx):
    archives = _archives(ctx.attr.handlers + [ctx.attr.interface])
    out = ctx.actions.declare_file(ctx.attr.out)
    diagnostics = ctx.actions.declare_file(ctx.label.name + ".handlergen.diag")
    content, inputs = _config(ctx, archives, out, None, None, diagnostics)
    _run(ctx, ctx.label.name + ".handlergen.json", content, inputs, [out, diagnostics], "HandlergenRegistry")

    validation = []
    if ctx.file.checked_in:
        # check mode: the checked-in registry is an input; a stamp is the
        # output of a validation action, which fails the build when stale.
        stamp = ctx.actions.declare_file(ctx.label.name + ".handlergen.ok")
        check_diag = ctx.actions.declare_file(ctx.label.name + ".handlergen.check.diag")
        content, inputs = _config(ctx, archives, None, ctx.file.checked_in, stamp, check_diag)
        _run(ctx, ctx.label.name + ".handlergen.check.json", content, inputs, [stamp, check_diag], "HandlergenCheck")
        validation.append(stamp)
    return [
        DefaultInfo(files = depset([out])),
        OutputGroupInfo(
            handlergen_diagnostics = depset([diagnostics]),
            _validation = depset(validation),
        ),
    ]

go_handler_registry = rule(
    implementation = _go_handler_registry_impl,
    doc = "Generates a handlergen registry file from contracts and the handlers' export data.",
    attrs = {
        "contracts": attr.label_list(allow_files = [".yaml", ".yml"], mandatory = True),
        "handlers": attr.label_list(providers = [GoArchive], doc = "go_library targets of the handler packages"),
        "interface": attr.label(
            providers = [GoArchive],
            default = "@com_github_handlergen_handlergen//registry",
            doc = "go_library of the -interface package",
        ),
        "importpath": attr.string(mandatory = True, doc = "import path of the package the registry belongs to"),
        "package_name": attr.string(mandatory = True, doc = "its package clause"),
        "modules": attr.string_list(doc = "main modules: the default allowlist"),
        "args_recorded": attr.string_list(
            doc = "handlergen's arguments as the //go:generate line gives them: their flags apply and the header records them",
        ),
        "package_files": attr.label_list(allow_files = [".go"], doc = "the package's other Go files"),
        "out": attr.string(default = "registry_gen.go"),
        "checked_in": attr.label(allow_single_file = [".go"], doc = "the checked-in registry; adds a validation action"),
        "_handlergen": attr.label(
            default = "@com_github_handlergen_handlergen//cmd/handlergen",
            executable = True,
            cfg = "exec",
        ),
        "_go_context_data": attr.label(default = "@io_bazel_rules_go//:go_context_data"),
    },
    toolchains = ["@io_bazel_rules_go//go:toolchain"],
)

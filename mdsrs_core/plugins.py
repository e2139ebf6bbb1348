"""Plugin loading: the ``mdsrs`` entry-point group, pluggy, and blocking of broken plugins.

Every plugin, built-in or external, is found through the ``mdsrs`` entry-point group. A
plugin that fails to import, declares an unknown hook, or registers an invalid endpoint is
*blocked* (unregistered, as tox 4 does) and reported with the reason; the others keep
working. ``MDSRS_DISABLE_PLUGIN_AUTOLOAD=1`` loads only the built-in plugins (those of the
``mdsrs`` distribution itself).
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .endpoint import Endpoint

if TYPE_CHECKING:  # pragma: no cover
    from .cohort import Cohort

__all__ = ["hookimpl", "PluginInfo", "Registry", "get_registry", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "mdsrs"
DISTRIBUTION = "mdsrs"
hookimpl = pluggy.HookimplMarker("mdsrs")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class PluginInfo:
    """One plugin as ``mdsrs plugins`` lists it."""

    name: str
    module: str
    version: str
    builtin: bool
    endpoints: list[str] = field(default_factory=list)
    error: str | None = None


class PluginError(Exception):
    """A plugin could not be loaded; the message says why."""


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    stdlib = os.path.dirname(os.__file__)
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(("<frozen", stdlib)) and f.filename != __file__
    ]
    if frames:
        text += f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})"
    return text


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, looking for a module plugin's hooks among the names the module
    defines: pluggy reads every name ``dir(plugin)`` lists, and a plugin module that
    imports its heavy parts on first use (PEP 562 ``__getattr__``, listed by ``__dir__``)
    would import them all at registration (``mdsrs plugins`` must stay fast)."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        import types

        if isinstance(plugin, types.ModuleType) and name not in vars(plugin):
            return None  # a lazily imported name: not a hook implementation
        return super().parse_hookimpl_opts(plugin, name)


class Registry:
    """The loaded plugins, their endpoints and the plugins that failed."""

    def __init__(self) -> None:
        self.pm = _PluginManager("mdsrs")
        self.pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        self.endpoints: dict[str, Endpoint] = {}
        self.endpoint_plugin: dict[str, str] = {}
        self.derive_failures: list[tuple[str, str]] = []
        #: plugins whose report hooks failed: (plugin name, reason)
        self.report_failures: list[tuple[str, str]] = []
        # the built-in report formats are a plugin too (import-light module)
        from .report import renderers

        self.pm.register(renderers, name=renderers.PLUGIN_NAME)

    # ------------------------------------------------------------------ loading

    def load_entry_points(self) -> None:
        """Load every plugin of the ``mdsrs`` entry-point group (see the module docstring)."""
        autoload = os.environ.get("MDSRS_DISABLE_PLUGIN_AUTOLOAD", "") in ("", "0")
        eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        for ep in eps:
            dist = ep.dist
            builtin = dist is not None and dist.name == DISTRIBUTION
            if not builtin and not autoload:
                continue
            version = dist.version if dist is not None else "?"
            info = PluginInfo(ep.name, ep.value, version, builtin)
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # any import failure blocks the plugin
                info.error = f"could not be imported: {_short(exc)}"
                self.plugins.append(info)
                continue
            self.register(plugin, info)

    def register(self, plugin: Any, info: PluginInfo | None = None) -> PluginInfo:
        """Register a plugin object (a module or an instance with ``@hookimpl`` functions).

        Used for entry points and directly from Python (tests, notebooks).
        """
        if info is None:
            name = getattr(plugin, "__name__", type(plugin).__name__)
            info = PluginInfo(name, name, getattr(plugin, "__version__", "?"), builtin=False)
        self.plugins.append(info)
        try:
            self.pm.register(plugin, name=info.name)
            self.pm.check_pending()
        except Exception as exc:  # pluggy: unknown hook, bad signature, duplicate name
            info.error = f"is not a valid mdsrs plugin: {exc}"
            self._block(info.name)
            return info
        impls = [
            i
            for i in self.pm.hook.mdsrs_register_endpoints.get_hookimpls()
            if i.plugin_name == info.name
        ]
        found: list[Endpoint] = []
        try:
            for impl in impls:
                impl.function(register=found.append)
            for endpoint in found:
                self._check_endpoint(endpoint)
            if len({e.name for e in found}) != len(found):
                raise PluginError("registers the same endpoint name twice")
        except Exception as exc:
            reason = (
                str(exc)
                if isinstance(exc, PluginError)
                else (f"failed while registering its endpoints: {_short(exc)}")
            )
            info.error = reason
            self._block(info.name)
            return info
        for endpoint in found:
            self.endpoints[endpoint.name] = endpoint
            self.endpoint_plugin[endpoint.name] = info.name
            info.endpoints.append(endpoint.name)
        return info

    def _check_endpoint(self, endpoint: Any) -> None:
        if not isinstance(endpoint, Endpoint):
            raise PluginError(
                f"registered {endpoint!r}, which is not an mdsrs_core.Endpoint instance"
            )
        name = getattr(endpoint, "name", "")
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                f"registered an endpoint with an invalid name {name!r} (lower-case "
                "letters, digits and underscores, starting with a letter)"
            )
        if type(endpoint).analyze is Endpoint.analyze:
            raise PluginError(f"endpoint '{name}' does not implement analyze()")
        if not endpoint.title:
            raise PluginError(f"endpoint '{name}' has no title")
        if name in self.endpoints:
            raise PluginError(
                f"registers endpoint '{name}', already registered by plugin "
                f"'{self.endpoint_plugin[name]}'"
            )

    def _block(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin, name=name)
        self.pm.set_blocked(name)

    # ------------------------------------------------------------------ use

    @property
    def failures(self) -> list[PluginInfo]:
        """Plugins that failed to load, with the reason in ``error``."""
        return [p for p in self.plugins if p.error]

    def derive(self, cohort: Cohort) -> None:
        """Run every plugin's ``mdsrs_derive`` hook on ``cohort``, each isolated."""
        for impl in reversed(self.pm.hook.mdsrs_derive.get_hookimpls()):
            try:
                impl.function(cohort=cohort)
            except Exception as exc:
                from .errors import MdsrsError

                if isinstance(exc, MdsrsError):
                    raise
                reason = f"plugin '{impl.plugin_name}' failed to derive variables: {_short(exc)}"
                self.derive_failures.append((impl.plugin_name, reason))
                cohort.notes.append(reason)

    def renderers(self) -> dict[str, Any]:
        """Every report format by name (:class:`~mdsrs_core.report.renderers.Renderer`),
        the built-in ones first; a plugin registering a name again replaces it."""
        from .report.renderers import Renderer

        found: dict[str, Renderer] = {}
        for impl in self.pm.hook.mdsrs_register_renderers.get_hookimpls():

            def register(
                name: str,
                suffix: str,
                render: Any,
                *,
                stem: str = "report",
                _plugin: str = impl.plugin_name,
            ) -> None:
                found[str(name)] = Renderer(str(name), str(suffix), render, _plugin, stem)

            try:
                impl.function(register=register)
            except Exception as exc:
                self._report_failure(
                    impl.plugin_name, f"failed to register its report formats: {_short(exc)}"
                )
        return found

    def report_sections(self, run: Any) -> list[tuple[str, Any]]:
        """The sections plugins add to the report: (plugin name, Section), in load order."""
        out: list[tuple[str, Any]] = []
        for impl in self.pm.hook.mdsrs_report_sections.get_hookimpls():
            added: list[Any] = []
            try:
                impl.function(run=run, add=added.append)
            except Exception as exc:
                self._report_failure(
                    impl.plugin_name, f"failed to add its report section: {_short(exc)}"
                )
                continue
            out.extend((impl.plugin_name, s) for s in added)
        return out

    def _report_failure(self, plugin: str, reason: str) -> None:
        entry = (plugin, f"plugin '{plugin}' {reason}")
        if entry not in self.report_failures:
            self.report_failures.append(entry)


_registry: Registry | None = None


def get_registry(*, reload: bool = False) -> Registry:
    """The process-wide registry, loading the entry points on first use."""
    global _registry
    if _registry is None or reload:
        _registry = Registry()
        _registry.load_entry_points()
    return _registry

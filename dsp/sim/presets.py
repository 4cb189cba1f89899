"""Presets: named link descriptions with typed, range-checked parameters.

A preset is a TOML file (``dsp/presets/*.toml``, or any path) with

- ``description``: one line;
- ``link``: the link type that :func:`dsp.sim.links.build_link` constructs;
- ``[fixed]``: constructor arguments the user cannot change;
- ``[parameters.NAME]``: ``default``, ``description``, optional ``unit``, ``min``/``max`` (numbers)
  or ``choices``, and ``infinite = true`` where ``inf`` means "off" (an OSNR). The type of
  ``default`` is the parameter's type;
- optional ``threshold_ber``: the pre-FEC BER threshold of the interface (sensitivity / required
  OSNR are read where the BER curve crosses it);
- optional ``base``: the name of a shipped preset whose link, fixed values and parameters this one
  inherits; its ``[fixed]`` entries are merged over the base's (fixing an inherited parameter removes it from
  the settable ones), and ``[defaults]`` changes the
  default of inherited parameters (checked against their ranges).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class PresetError(ValueError):
    """Unknown preset, unknown parameter, or a parameter value outside what is allowed."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    description: str = ""
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    infinite: bool = False

    @property
    def kind(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        if self.infinite:
            return f"a {self.kind.__name__} in [{lo}, {hi}] or inf (off)"
        return f"a finite {self.kind.__name__} in [{lo}, {hi}]"

    def coerce(self, value):
        """``value`` (a string from the command line, or a number) as this parameter's type, checked."""
        bad = PresetError(f"{self.name} must be {self.allowed()} (got {value!r})")
        try:
            if self.kind is bool:
                v = value if isinstance(value, bool) else {"true": True, "false": False}[str(value).lower()]
            elif self.kind is int:
                f = float(value)
                if not f.is_integer():
                    raise bad
                v = int(f)
            elif self.kind is float:
                v = float(value)
            else:
                v = str(value)
        except (ValueError, TypeError, KeyError):
            raise bad from None
        if isinstance(v, float) and not math.isfinite(v):
            if self.infinite and v == math.inf:
                return v
            raise bad
        if self.choices is not None and v not in self.choices:
            raise bad
        if (self.min is not None and v < self.min) or (self.max is not None and v > self.max):
            raise bad
        return v

    def describe(self) -> str:
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{self.name}={self.default}{unit}: {self.description} ({self.allowed()})"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    link: str
    parameters: tuple[Parameter, ...]
    fixed: dict = field(default_factory=dict)
    threshold_ber: float | None = None

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise PresetError(f"unknown parameter {name!r} for preset {self.name!r}; "
                          f"valid: {', '.join(self.parameter_names)}")

    def resolve(self, overrides: dict | None = None) -> dict:
        """All parameter values: defaults updated by ``overrides`` (checked and typed)."""
        values = {p.name: p.default for p in self.parameters}
        for k, v in (overrides or {}).items():
            values[k] = self.parameter(k).coerce(v)
        return values

    def build(self, **overrides):
        """The :class:`dsp.sim.links.Link` this preset describes, with ``overrides`` applied."""
        from dsp.sim.links import build_link

        return build_link(self.link, **self.fixed, **self.resolve(overrides))

    @classmethod
    def from_toml(cls, text: str, name: str) -> "Preset":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PresetError(f"preset {name!r} is not valid TOML: {exc}") from None
        base = None
        if "base" in data:
            if not isinstance(data["base"], str) or data["base"] == name:
                raise PresetError(f"preset {name!r}: 'base' must name another shipped preset")
            base = load_preset(data["base"])
            data.setdefault("link", base.link)
        for key in ("description", "link"):
            if not isinstance(data.get(key), str):
                raise PresetError(f"preset {name!r} needs a string '{key}'")
        threshold = data.get("threshold_ber", base.threshold_ber if base else None)
        if threshold is not None and not (isinstance(threshold, float) and 0 < threshold < 0.5):
            raise PresetError(f"preset {name!r}: threshold_ber must be a float in (0, 0.5) (got {threshold!r})")
        params = list(base.parameters) if base else []
        for pname, spec in data.get("parameters", {}).items():
            if not isinstance(spec, dict) or "default" not in spec:
                raise PresetError(f"preset {name!r}: parameter {pname!r} needs a 'default'")
            unknown = set(spec) - {"default", "description", "unit", "min", "max", "choices", "infinite"}
            if unknown:
                raise PresetError(f"preset {name!r}: parameter {pname!r} has unknown fields {sorted(unknown)}")
            choices = spec.get("choices")
            params.append(Parameter(pname, spec["default"], spec.get("description", ""), spec.get("unit", ""),
                                    spec.get("min"), spec.get("max"), tuple(choices) if choices else None,
                                    bool(spec.get("infinite", False))))
        fixed = {**(base.fixed if base else {}), **dict(data.get("fixed", {}))}
        defaults = data.get("defaults", {})
        if defaults and base is None:
            raise PresetError(f"preset {name!r}: [defaults] needs a 'base' preset")
        by_name = {p.name: i for i, p in enumerate(params)}
        for pname, value in defaults.items():
            if pname not in by_name:
                raise PresetError(f"preset {name!r}: [defaults] names unknown parameter {pname!r}")
            old = params[by_name[pname]]
            params[by_name[pname]] = replace(old, default=old.coerce(value))
        # Fixing an inherited parameter removes it from the settable ones.
        params = [p for p in params if p.name not in fixed]
        return cls(name, data["description"], data["link"], tuple(params), fixed, threshold)


def _builtin():
    return {p.name[:-5]: p for p in resources.files("dsp.presets").iterdir() if p.name.endswith(".toml")}


def list_presets() -> list[Preset]:
    """The presets shipped with the package, by name."""
    return [Preset.from_toml(p.read_text(), n) for n, p in sorted(_builtin().items())]


def load_preset(name: str | Path) -> Preset:
    """A shipped preset by name, or a preset TOML file by path."""
    if isinstance(name, Preset):
        return name
    builtin = _builtin()
    if str(name) in builtin:
        return Preset.from_toml(builtin[str(name)].read_text(), str(name))
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return Preset.from_toml(path.read_text(), path.stem)
    raise PresetError(f"unknown preset {str(name)!r}; known presets: {', '.join(sorted(builtin))}")

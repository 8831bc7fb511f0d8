"""The scenario file format (YAML), as pydantic v2 models.

Units are in the field names and follow the design page: degrees and km at the
edges where a planner thinks in them, SI otherwise. Unknown keys are rejected so a
typo never silently falls back to a default. Cross-references between sections
(partner ids, link ends, inject targets) are checked in :mod:`skyweave.scenario.load`,
which can name the exact field path of each bad reference.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

Latitude = Annotated[float, Field(ge=-90.0, le=90.0, description="geodetic latitude, degrees")]
Longitude = Annotated[float, Field(ge=-180.0, le=360.0, description="longitude, degrees east")]
Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="id: letters, digits, '-', '_' and '.'",
    ),
]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
#: longest scenario, seconds (one day); every time in a scenario lies within it
MAX_SCENARIO_S = 86_400.0
ScenarioTime = Annotated[float, Field(ge=0.0, le=MAX_SCENARIO_S)]
Delay = Annotated[float, Field(ge=0.0, le=3_600.0)]
ShortText = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=2_000)]
#: relative tolerance of the whole-multiple check on time intervals
MULTIPLE_RTOL = 1e-9

CoordinationMode = Literal["independent", "shared-warning", "integrated"]
#: what a battery the coalition cell commands does when the cell cannot reach it
FallbackMode = Literal["revert", "hold"]
RcsClass = Literal["small", "medium", "large"]
DataClass = Literal[
    "launch_alerts",
    "tracks",
    "detections",
    "engagement_status",
    "battery_status",
    "engagement_orders",
    "messages",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class GeoPoint(_Model):
    """A point on or above the WGS84 ellipsoid."""

    lat_deg: Latitude
    lon_deg: Longitude
    alt_m: float = Field(
        default=0.0, ge=-500.0, le=100_000.0, description="height above the WGS84 ellipsoid"
    )


class TimeWindow(_Model):
    """A closed interval of scenario time, e.g. an outage."""

    start_s: ScenarioTime = Field(description="first second of the window")
    end_s: ScenarioTime = Field(description="last second of the window (not before start_s)")

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end_s < self.start_s:
            raise ValueError("end_s must not be before start_s")
        return self


class EarthOptions(_Model):
    """Which physical effects the kinematics include."""

    rotation: bool = Field(default=True, description="Earth rotation (Coriolis, centrifugal)")
    j2: bool = Field(default=False, description="Earth oblateness term of gravity")
    drag: bool = Field(default=True, description="atmospheric drag on ballistic threats")


class CommandPost(GeoPoint):
    """Where a partner's command post sits (link end point)."""


class Consent(_Model):
    """Whether a partner's engagement orders wait for an operator's consent.

    ``always`` grants every request at once, ``never`` refuses them all,
    ``after_delay`` grants each one ``delay_s`` after it was asked (a staff
    thinking it over). A replayed run answers from the recorded decisions.
    """

    policy: Literal["always", "never", "after_delay"] = Field(
        default="always", description="how the partner's staff answers engagement requests"
    )
    delay_s: Delay = Field(default=20.0, description="thinking time with policy after_delay")


class EngagementRules(_Model):
    """A partner's rules for its batteries: whom they defend, what tracks they fire on."""

    defend: list[Identifier] = Field(
        default_factory=list,
        max_length=50,
        description="other partners whose defended assets this partner's batteries may defend",
    )
    engage_on_remote: bool = Field(
        default=True,
        description="batteries may fire on a track held only by another partner",
    )
    consent: Consent = Field(
        default_factory=Consent, description="whether orders wait for an operator's consent"
    )
    fallback: FallbackMode = Field(
        default="revert",
        description="integrated mode, when the coalition cell's orders or battery status "
        "cannot flow (link to the cell's host down, cell silent): revert the batteries to "
        "this partner's own command post after fallback_after_s (back when they flow "
        "again), or hold them under the cell",
    )
    fallback_after_s: Delay | None = Field(
        default=None,
        description="how long orders and status must be cut before a battery reverts "
        "(default: two decision cycles)",
    )


class Partner(_Model):
    """A coalition partner: owns sensors, batteries, assets and a command post."""

    id: Identifier
    name: ShortText = Field(default="", description="display name")
    command_post: CommandPost | None = Field(
        default=None, description="where the partner's data links end (none: no links)"
    )
    color: str = Field(default="", max_length=32, description="display colour, e.g. '#1f77b4'")
    engagement: EngagementRules = Field(
        default_factory=EngagementRules, description="rules for the partner's batteries"
    )


class DefendedAsset(GeoPoint):
    """Something worth defending: a city, a port, an air base."""

    id: Identifier
    partner: Identifier = Field(description="the partner that owns it")
    name: ShortText = Field(default="", description="display name")
    value: float = Field(
        default=100.0, gt=0.0, le=1e6, description="worth, in the units of c2.min_value_saved"
    )
    radius_m: float = Field(
        default=2_000.0,
        gt=0.0,
        le=100_000.0,
        description="a threat landing within this distance hits the asset",
    )


class InfraredSatellite(_Model):
    """A space-based infrared sensor that sees rocket plumes above the clouds."""

    type: Literal["infrared_satellite"] = Field(description="sensor kind")
    id: Identifier
    partner: Identifier = Field(description="the partner that owns it")
    geo_lon_deg: Longitude | None = Field(
        default=None, description="geostationary longitude; or give position"
    )
    position: GeoPoint | None = Field(
        default=None, description="fixed position (any orbit height); or give geo_lon_deg"
    )
    cloud_top_alt_m: float = Field(
        default=10_000.0, ge=0.0, le=30_000.0, description="plumes below this are hidden"
    )
    processing_delay_s: float = Field(
        default=10.0, ge=0.0, le=600.0, description="from a frame to its reports"
    )
    frame_period_s: float = Field(
        default=5.0,
        ge=0.1,
        le=600.0,
        description="time between frames (memory: one row per plume per frame)",
    )
    los_sigma_urad: float = Field(
        default=50.0, ge=0.1, le=100_000.0, description="line-of-sight noise, 1 sigma"
    )
    outages: list[TimeWindow] = Field(
        default_factory=list, max_length=1_000, description="windows with no frames"
    )

    @model_validator(mode="after")
    def _one_position(self) -> InfraredSatellite:
        if (self.geo_lon_deg is None) == (self.position is None):
            raise ValueError("give exactly one of geo_lon_deg or position")
        return self


class Radar(GeoPoint):
    """A ground radar: early-warning or fire-control (one model, other parameters)."""

    type: Literal["radar"] = Field(description="sensor kind")
    id: Identifier
    partner: Identifier = Field(description="the partner that owns it")
    role: Literal["early_warning", "fire_control"] = Field(
        default="early_warning", description="label for reports; the model is the same"
    )
    boresight_az_deg: float = Field(
        default=0.0, ge=0.0, lt=360.0, description="centre of the sector, from north"
    )
    sector_half_width_deg: float = Field(
        default=60.0, gt=0.0, le=180.0, description="half the azimuth sector (180: all round)"
    )
    min_elevation_deg: float = Field(
        default=-1.0,
        ge=-5.0,
        le=90.0,
        description="lowest apparent (refracted, 4/3-Earth) elevation searched. A target "
        "above the radio horizon never appears lower than -acos(kR/(kR+h_site)): -0.5 deg "
        "from a 300 m site, -1 deg from 1.3 km, so the -1 deg default hides nothing the "
        "horizon does not for sites up to 1.3 km high",
    )
    max_elevation_deg: float = Field(
        default=70.0, ge=-5.0, le=90.0, description="highest elevation searched"
    )
    max_range_km: float = Field(
        default=1_500.0, gt=0.0, le=6_000.0, description="instrumented range"
    )
    reference_range_km: float = Field(
        default=1_000.0,
        gt=0.0,
        le=6_000.0,
        description="range at which a medium target gives reference_snr_db",
    )
    reference_snr_db: float = Field(
        default=13.0, ge=-20.0, le=60.0, description="signal-to-noise at reference_range_km"
    )
    false_alarm_probability: float = Field(
        default=1e-6, gt=0.0, lt=1.0, description="per resolution cell, sets the threshold"
    )
    false_alarms_per_scan: float = Field(
        default=0.5, ge=0.0, le=1_000.0, description="mean false detections per scan (Poisson)"
    )
    revisit_s: float = Field(
        default=10.0, ge=0.1, le=3_600.0, description="time between scans of the sector"
    )
    sigma_range_m: float = Field(
        default=100.0, ge=0.01, le=100_000.0, description="range noise, 1 sigma"
    )
    sigma_azimuth_mrad: float = Field(
        default=2.0, ge=0.001, le=100.0, description="azimuth noise, 1 sigma"
    )
    sigma_elevation_mrad: float = Field(
        default=2.0, ge=0.001, le=100.0, description="elevation noise, 1 sigma"
    )
    outages: list[TimeWindow] = Field(
        default_factory=list, max_length=1_000, description="windows with no scans"
    )

    @model_validator(mode="after")
    def _elevations(self) -> Radar:
        if self.max_elevation_deg <= self.min_elevation_deg:
            raise ValueError("max_elevation_deg must exceed min_elevation_deg")
        return self


Sensor = Annotated[InfraredSatellite | Radar, Field(discriminator="type")]


class KillProbability(_Model):
    """Single-shot kill probability against each threat class."""

    ballistic: Probability = Field(default=0.7, description="against ballistic missiles")
    cruise: Probability = Field(default=0.8, description="against cruise missiles")
    aircraft: Probability = Field(default=0.8, description="against aircraft")


class Battery(GeoPoint):
    """An interceptor battery: an abstract flyout model with an envelope."""

    id: Identifier
    partner: Identifier = Field(description="the partner that owns it")
    launchers: int = Field(default=4, ge=1, le=100, description="launchers in the battery")
    interceptors: int = Field(default=16, ge=0, le=10_000, description="interceptors at the start")
    fire_channels: int = Field(
        default=2, ge=1, le=100, description="engagements it can guide at once"
    )
    min_range_km: float = Field(
        default=3.0, ge=0.0, le=3_000.0, description="inner edge of the envelope"
    )
    max_range_km: float = Field(
        default=100.0, gt=0.0, le=3_000.0, description="outer edge of the envelope"
    )
    min_alt_km: float = Field(
        default=0.05, ge=0.0, le=1_000.0, description="lowest intercept altitude"
    )
    max_alt_km: float = Field(
        default=30.0, gt=0.0, le=1_000.0, description="highest intercept altitude"
    )
    flyout_speed_mps: float = Field(
        default=1_200.0, gt=0.0, le=10_000.0, description="mean interceptor speed"
    )
    pk: KillProbability = Field(
        default_factory=KillProbability, description="single-shot kill probabilities"
    )
    doctrine: Literal["shoot-look-shoot", "salvo"] = Field(
        default="shoot-look-shoot",
        description="one shot then assess, or salvo_size shots at once",
    )
    salvo_size: int = Field(default=2, ge=1, le=8, description="shots per salvo (doctrine salvo)")
    kill_assessment_delay_s: float = Field(
        default=5.0, ge=0.0, le=600.0, description="from an intercept to knowing its outcome"
    )
    reserve_interceptors: int = Field(
        default=0, ge=0, le=10_000, description="kept back: fired only at threats to own assets"
    )
    fallback: FallbackMode | None = Field(
        default=None, description="overrides its partner's engagement.fallback"
    )
    fallback_after_s: Delay | None = Field(
        default=None, description="overrides its partner's engagement.fallback_after_s"
    )

    @model_validator(mode="after")
    def _envelope(self) -> Battery:
        if self.max_range_km <= self.min_range_km:
            raise ValueError("max_range_km must exceed min_range_km")
        if self.max_alt_km <= self.min_alt_km:
            raise ValueError("max_alt_km must exceed min_alt_km")
        return self


class Link(_Model):
    """A data link between two partners' command posts."""

    id: Identifier
    between: list[Identifier] = Field(
        min_length=2, max_length=2, description="the two partners it joins"
    )
    latency_s: float = Field(default=2.0, ge=0.0, le=600.0, description="mean message delay")
    jitter_s: float = Field(default=0.5, ge=0.0, le=600.0, description="delay spread, 1 sigma")
    loss_probability: Probability = Field(default=0.0, description="chance that a message is lost")
    bandwidth_msgs_per_s: float = Field(
        default=1_000.0, ge=0.01, le=1e6, description="messages per second before queueing"
    )
    outages: list[TimeWindow] = Field(
        default_factory=list, max_length=1_000, description="windows with the link down"
    )

    @field_validator("between")
    @classmethod
    def _distinct(cls, ends: list[str]) -> list[str]:
        if ends[0] == ends[1]:
            raise ValueError("a link joins two different partners")
        return ends


class ReleaseRule(_Model):
    """What one partner releases of one data class to which partners."""

    from_partner: Identifier = Field(alias="from", description="the releasing partner")
    to: list[Identifier] = Field(
        min_length=1, max_length=50, description="the partners that receive it"
    )
    data_class: DataClass = Field(description="what is released")
    delay_s: Delay = Field(default=0.0, description="held back this long before release")
    position_rounding_m: float = Field(
        default=0.0, ge=0.0, le=100_000.0, description="positions rounded to this grid"
    )
    position_noise_m: float = Field(
        default=0.0, ge=0.0, le=100_000.0, description="noise added to positions, 1 sigma"
    )

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )


class Aim(_Model):
    """Where a ballistic threat is aimed: a point, or a range and azimuth."""

    lat_deg: Latitude | None = Field(default=None, description="aim point latitude")
    lon_deg: Longitude | None = Field(default=None, description="aim point longitude")
    range_km: float | None = Field(
        default=None, ge=1.0, le=15_000.0, description="ground range from the launch point"
    )
    azimuth_deg: float | None = Field(
        default=None, ge=0.0, lt=360.0, description="direction from the launch point, from north"
    )

    @model_validator(mode="after")
    def _point_or_polar(self) -> Aim:
        point = self.lat_deg is not None or self.lon_deg is not None
        polar = self.range_km is not None or self.azimuth_deg is not None
        if point == polar:
            raise ValueError("give either lat_deg and lon_deg, or range_km and azimuth_deg")
        if point and (self.lat_deg is None or self.lon_deg is None):
            raise ValueError("an aim point needs both lat_deg and lon_deg")
        if polar and (self.range_km is None or self.azimuth_deg is None):
            raise ValueError("a polar aim needs both range_km and azimuth_deg")
        return self


class Salvo(_Model):
    """Shorthand for N launches spread evenly over an interval.

    Launch k of N (k = 0..N-1) happens at ``launch_time_s + k * over_s / (N - 1)``
    and gets the id ``<id>-<k+1>``.
    """

    count: int = Field(ge=1, le=1_000, description="launches")
    over_s: ScenarioTime = Field(default=0.0, description="from the first launch to the last")


class BallisticThreat(_Model):
    """A ballistic missile: boost, free flight, re-entry."""

    type: Literal["ballistic"] = Field(description="threat kind")
    id: Identifier
    launch: GeoPoint = Field(description="launch point")
    aim: Aim = Field(description="aim point, or range and azimuth from the launch point")
    launch_time_s: ScenarioTime = Field(default=0.0, description="scenario time of launch")
    profile: Literal["minimum-energy", "fixed-gamma"] = Field(
        default="minimum-energy", description="trajectory shape"
    )
    gamma_deg: float | None = Field(
        default=None,
        gt=0.0,
        lt=90.0,
        description="burnout flight-path angle, with profile fixed-gamma",
    )
    burn_time_s: float = Field(default=60.0, gt=0.0, le=600.0, description="boost duration")
    ballistic_coefficient_kg_m2: float = Field(
        default=5_000.0, gt=0.0, le=1e6, description="mass over drag area (higher: less drag)"
    )
    rcs_class: RcsClass = Field(default="medium", description="radar cross-section class")
    salvo: Salvo | None = Field(default=None, description="shorthand for several launches")
    accidental: bool = Field(default=False, description="white-cell label: a single stray launch")
    cep_m: float = Field(
        default=0.0,
        ge=0.0,
        le=100_000.0,
        description="aim dispersion: circular error probable around the aim point (half the "
        "launches land within it). Each launch (each salvo member) aims at a point offset by "
        "a circular normal draw keyed by the run seed and its threat id; 0 lands every "
        "launch on the aim point",
    )

    @model_validator(mode="after")
    def _profile(self) -> BallisticThreat:
        if (self.profile == "fixed-gamma") != (self.gamma_deg is not None):
            raise ValueError("gamma_deg is required with profile fixed-gamma and only then")
        return self

    @model_validator(mode="after")
    def _aim_geometry(self) -> BallisticThreat:
        if self.aim.lat_deg is None or self.aim.lon_deg is None:
            return self  # a polar aim's range_km is bounded to [1, 15 000] km
        angle = _central_angle_rad(
            self.launch.lat_deg, self.launch.lon_deg, self.aim.lat_deg, self.aim.lon_deg
        )
        # The same limits as the kinematics (skyweave.kinematics.ballistic): no direction
        # to fly at the launch point itself, and no single great circle near the antipode.
        if angle < MIN_AIM_ANGLE_RAD:
            raise ValueError("aim point equals the launch point: no direction to fly")
        if angle > MAX_AIM_ANGLE_RAD:
            raise ValueError(
                f"aim point is {math.degrees(angle):.1f} degrees of arc from the launch point "
                f"(antipodal or nearly); the limit is {math.degrees(MAX_AIM_ANGLE_RAD):.0f}"
            )
        return self


#: shortest and longest launch-to-aim arcs the ballistic kinematics fly
MIN_AIM_ANGLE_RAD = 1e-5
MAX_AIM_ANGLE_RAD = 0.9 * math.pi


def _central_angle_rad(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Angle between the local verticals of two points (as the kinematics compute it)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    n1 = (math.cos(lat1) * math.cos(lon1), math.cos(lat1) * math.sin(lon1), math.sin(lat1))
    n2 = (math.cos(lat2) * math.cos(lon2), math.cos(lat2) * math.sin(lon2), math.sin(lat2))
    cross = (
        n1[1] * n2[2] - n1[2] * n2[1],
        n1[2] * n2[0] - n1[0] * n2[2],
        n1[0] * n2[1] - n1[1] * n2[0],
    )
    return math.atan2(math.hypot(*cross), sum(x * y for x, y in zip(n1, n2, strict=True)))


class Waypoint(_Model):
    """A point an air-breathing threat flies through."""

    lat_deg: Latitude
    lon_deg: Longitude


class AirBreathingThreat(_Model):
    """A cruise missile or aircraft following waypoints at set speed and altitude."""

    type: Literal["cruise", "aircraft"] = Field(description="threat kind")
    id: Identifier
    launch_time_s: ScenarioTime = Field(default=0.0, description="scenario time of launch")
    waypoints: list[Waypoint] = Field(
        min_length=2, max_length=1_000, description="the route, first point is the launch"
    )
    speed_mps: float = Field(
        default=250.0,
        ge=0.1,
        le=1_500.0,
        description="ground speed (validate warns below 50 m/s)",
    )
    altitude_m: float = Field(
        default=100.0, gt=0.0, le=25_000.0, description="height above the ellipsoid"
    )
    rcs_class: RcsClass = Field(default="small", description="radar cross-section class")
    salvo: Salvo | None = Field(default=None, description="shorthand for several launches")


Threat = Annotated[BallisticThreat | AirBreathingThreat, Field(discriminator="type")]


class Inject(_Model):
    """A white-cell event on the exercise timeline."""

    time_s: ScenarioTime = Field(description="scenario time of the event")
    kind: Literal[
        "sensor_failure",
        "sensor_repair",
        "link_cut",
        "link_restore",
        "battery_empty",
        "command_post_silent",
        "command_post_restore",
        "note",
    ] = Field(description="what happens")
    target: Identifier | None = Field(
        default=None, description="id of the sensor, link, battery or partner it affects"
    )
    text: Text = Field(default="", description="shown on the exercise timeline")


class CommandAndControl(_Model):
    """How the command posts decide: the decision cycle's settings."""

    coalition_cell: Identifier | None = Field(
        default=None,
        description="partner hosting the coalition cell in integrated mode (default: the first)",
    )
    min_value_saved: float = Field(
        default=5.0,
        ge=0.0,
        le=1e6,
        description="an engagement is ordered only if it raises the expected value saved "
        "by at least this (asset value units): the price of an interceptor",
    )
    wta_method: Literal["heuristic", "exact"] = Field(
        default="heuristic", description="weapon-target assignment solver"
    )
    wta_time_limit_s: float = Field(
        default=1.0, gt=0.0, le=60.0, description="wall-clock limit per exact assignment"
    )


# -- deployment areas (the planning phase) ------------------------------------------------


class AreaPoint(_Model):
    """A corner of a deployment area."""

    lat_deg: Latitude
    lon_deg: Longitude


class AreaCircle(_Model):
    """A circular deployment area: a centre and a great-circle radius."""

    lat_deg: Latitude
    lon_deg: Longitude
    radius_km: float = Field(gt=0.0, le=5_000.0, description="great-circle radius")


#: the unit kinds a deployment area may restrict
DeploymentKind = Literal["batteries", "radars"]
_ALL_KINDS: tuple[DeploymentKind, ...] = ("batteries", "radars")


class DeploymentArea(_Model):
    """Where one partner may place its batteries and ground radars (planning phase).

    An area is a polygon (corners in order, at least three, not closed: the last
    corner joins the first; edges drawn straight in latitude and longitude) or a
    circle. When a partner has areas for a kind of unit, each of its units of that
    kind must lie inside one of them; a partner without areas for a kind places those
    units anywhere. Areas do not change a run: they bound where staffs may place units.
    """

    id: Identifier
    partner: Identifier = Field(description="the partner that may deploy here")
    kinds: list[DeploymentKind] = Field(
        default_factory=lambda: list(_ALL_KINDS),
        min_length=1,
        max_length=2,
        description="which of the partner's units the area holds: batteries, radars",
    )
    name: ShortText = Field(default="", description="display name")
    polygon: list[AreaPoint] | None = Field(
        default=None, min_length=3, max_length=1_000, description="corners; or give circle"
    )
    circle: AreaCircle | None = Field(default=None, description="centre and radius; or polygon")

    @model_validator(mode="after")
    def _one_shape(self) -> DeploymentArea:
        if (self.polygon is None) == (self.circle is None):
            raise ValueError("give exactly one of polygon or circle")
        if len(set(self.kinds)) != len(self.kinds):
            raise ValueError("kinds lists a kind twice")
        return self


def _multiple_of_step(value_s: float, step_s: float, field: str) -> None:
    """Refuse an interval that is not a whole number of time steps, naming the nearest ones."""
    k = value_s / step_s
    whole = round(k)
    if whole >= 1 and abs(k - whole) <= MULTIPLE_RTOL * k:
        return
    below = max(int(k // 1), 1) * step_s
    above = (int(k // 1) + 1) * step_s
    nearest = f"{below:g} s" if below >= value_s else f"{below:g} s or {above:g} s"
    raise ValueError(
        f"{field} ({value_s:g} s) must be a whole multiple of time_step_s ({step_s:g} s): "
        f"the run advances in whole steps; nearest valid: {nearest}"
    )


class Scenario(_Model):
    """A whole exercise or analysis scenario."""

    name: Identifier
    description: str = Field(default="", max_length=100_000, description="free text")
    epoch: datetime = Field(description="wall-clock time of scenario second 0 (UTC)")
    duration_s: float = Field(gt=0.0, le=MAX_SCENARIO_S, description="scenario length")
    time_step_s: float = Field(
        default=1.0,
        ge=0.01,
        le=60.0,
        description="truth and engagement step; every interval below is a whole multiple",
    )
    output_interval_s: float = Field(
        default=5.0,
        ge=0.01,
        le=600.0,
        description="interval of the recorded tables and pictures; a whole multiple of time_step_s",
    )
    decision_interval_s: float | None = Field(
        default=None,
        ge=0.01,
        le=600.0,
        description="command posts' decision cycle; a whole multiple of time_step_s "
        "(default: output_interval_s)",
    )
    seed: int = Field(default=0, ge=0, lt=2**63, description="random seed of the run")
    coordination_mode: CoordinationMode = Field(
        default="shared-warning", description="how the partners work together"
    )
    earth: EarthOptions = Field(default_factory=EarthOptions, description="physical effects")
    partners: list[Partner] = Field(min_length=1, max_length=50, description="the coalition")
    defended_assets: list[DefendedAsset] = Field(
        default_factory=list, max_length=10_000, description="what the coalition defends"
    )
    sensors: list[Sensor] = Field(
        default_factory=list, max_length=1_000, description="radars and infrared satellites"
    )
    batteries: list[Battery] = Field(
        default_factory=list, max_length=1_000, description="interceptor batteries"
    )
    links: list[Link] = Field(
        default_factory=list, max_length=1_000, description="data links between command posts"
    )
    policy: list[ReleaseRule] = Field(
        default_factory=list, max_length=10_000, description="releasability rules"
    )
    threats: list[Threat] = Field(
        default_factory=list,
        max_length=10_000,
        description="ballistic missiles, cruise missiles and aircraft (salvos count as one)",
    )
    injects: list[Inject] = Field(
        default_factory=list, max_length=10_000, description="white-cell events"
    )
    c2: CommandAndControl = Field(
        default_factory=CommandAndControl, description="the decision cycle's settings"
    )
    deployment_areas: list[DeploymentArea] = Field(
        default_factory=list,
        max_length=1_000,
        description="where each partner may place its batteries and radars (planning phase; "
        "no effect on a run)",
    )

    @field_validator("epoch")
    @classmethod
    def _utc(cls, epoch: datetime) -> datetime:
        # A naive timestamp in a scenario file means UTC: exercises run on Zulu time.
        return epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)

    @field_validator("output_interval_s", "decision_interval_s")
    @classmethod
    def _whole_steps(cls, value: float | None, info: ValidationInfo) -> float | None:
        # A decision cycle of 5 s with a 0.7 s step would silently become 5.6 s (or 35 s
        # where the cycle is counted in output steps): refuse rather than round.
        step = info.data.get("time_step_s")
        if value is not None and step is not None:
            _multiple_of_step(value, step, str(info.field_name))
        return value

    @property
    def decision_period_s(self) -> float:
        """The decision cycle: ``decision_interval_s``, or ``output_interval_s`` when unset."""
        return (
            self.output_interval_s if self.decision_interval_s is None else self.decision_interval_s
        )

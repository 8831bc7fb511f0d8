"""The scenario file format (YAML), as pydantic v2 models.

Units are in the field names and follow the design page: degrees and km at the
edges where a planner thinks in them, SI otherwise. Unknown keys are rejected so a
typo never silently falls back to a default. Cross-references between sections
(partner ids, link ends, inject targets) are checked in :mod:`skyweave.scenario.load`,
which can name the exact field path of each bad reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]

CoordinationMode = Literal["independent", "shared-warning", "integrated"]
RcsClass = Literal["small", "medium", "large"]
DataClass = Literal["launch_alerts", "tracks", "detections", "engagement_status", "battery_status"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class GeoPoint(_Model):
    """A point on or above the WGS84 ellipsoid."""

    lat_deg: Latitude
    lon_deg: Longitude
    alt_m: Annotated[float, Field(ge=-500.0, le=100_000.0)] = 0.0


class TimeWindow(_Model):
    """A closed interval of scenario time, e.g. an outage."""

    start_s: NonNegative
    end_s: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end_s < self.start_s:
            raise ValueError("end_s must not be before start_s")
        return self


class EarthOptions(_Model):
    """Which physical effects the kinematics include."""

    rotation: bool = True
    j2: bool = False
    drag: bool = True


class CommandPost(GeoPoint):
    """Where a partner's command post sits (link end point)."""


class Consent(_Model):
    """Whether a partner's engagement orders wait for an operator's consent.

    ``always`` grants every request at once, ``never`` refuses them all,
    ``after_delay`` grants each one ``delay_s`` after it was asked (a staff
    thinking it over). A replayed run answers from the recorded decisions.
    """

    policy: Literal["always", "never", "after_delay"] = "always"
    delay_s: NonNegative = 20.0


class EngagementRules(_Model):
    """A partner's rules for its batteries: whom they defend, what tracks they fire on."""

    defend: list[Identifier] = Field(
        default_factory=list,
        description="other partners whose defended assets this partner's batteries may defend",
    )
    engage_on_remote: bool = Field(
        default=True,
        description="batteries may fire on a track held only by another partner",
    )
    consent: Consent = Field(default_factory=Consent)


class Partner(_Model):
    """A coalition partner: owns sensors, batteries, assets and a command post."""

    id: Identifier
    name: str = ""
    command_post: CommandPost | None = None
    color: str = Field(default="", description="display colour, e.g. '#1f77b4'")
    engagement: EngagementRules = Field(default_factory=EngagementRules)


class DefendedAsset(GeoPoint):
    """Something worth defending: a city, a port, an air base."""

    id: Identifier
    partner: Identifier
    name: str = ""
    value: Annotated[float, Field(gt=0.0, le=1e6)] = 100.0
    radius_m: Annotated[float, Field(gt=0.0, le=100_000.0)] = 2_000.0


class InfraredSatellite(_Model):
    """A space-based infrared sensor that sees rocket plumes above the clouds."""

    type: Literal["infrared_satellite"]
    id: Identifier
    partner: Identifier
    geo_lon_deg: Longitude | None = Field(
        default=None, description="geostationary longitude; or give position"
    )
    position: GeoPoint | None = None
    cloud_top_alt_m: Annotated[float, Field(ge=0.0, le=30_000.0)] = 10_000.0
    processing_delay_s: NonNegative = 10.0
    frame_period_s: Positive = 5.0
    los_sigma_urad: Positive = 50.0
    outages: list[TimeWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_position(self) -> InfraredSatellite:
        if (self.geo_lon_deg is None) == (self.position is None):
            raise ValueError("give exactly one of geo_lon_deg or position")
        return self


class Radar(GeoPoint):
    """A ground radar: early-warning or fire-control (one model, other parameters)."""

    type: Literal["radar"]
    id: Identifier
    partner: Identifier
    role: Literal["early_warning", "fire_control"] = "early_warning"
    boresight_az_deg: Annotated[float, Field(ge=0.0, lt=360.0)] = 0.0
    sector_half_width_deg: Annotated[float, Field(gt=0.0, le=180.0)] = 60.0
    min_elevation_deg: Annotated[float, Field(ge=-5.0, le=90.0)] = 0.5
    max_elevation_deg: Annotated[float, Field(ge=-5.0, le=90.0)] = 70.0
    max_range_km: Annotated[float, Field(gt=0.0, le=6_000.0)] = 1_500.0
    reference_range_km: Annotated[float, Field(gt=0.0, le=6_000.0)] = 1_000.0
    reference_snr_db: Annotated[float, Field(ge=-20.0, le=60.0)] = 13.0
    false_alarm_probability: Annotated[float, Field(gt=0.0, lt=1.0)] = 1e-6
    false_alarms_per_scan: NonNegative = 0.5
    revisit_s: Positive = 10.0
    sigma_range_m: Positive = 100.0
    sigma_azimuth_mrad: Positive = 2.0
    sigma_elevation_mrad: Positive = 2.0
    outages: list[TimeWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _elevations(self) -> Radar:
        if self.max_elevation_deg <= self.min_elevation_deg:
            raise ValueError("max_elevation_deg must exceed min_elevation_deg")
        return self


Sensor = Annotated[InfraredSatellite | Radar, Field(discriminator="type")]


class KillProbability(_Model):
    """Single-shot kill probability against each threat class."""

    ballistic: Probability = 0.7
    cruise: Probability = 0.8
    aircraft: Probability = 0.8


class Battery(GeoPoint):
    """An interceptor battery: an abstract flyout model with an envelope."""

    id: Identifier
    partner: Identifier
    launchers: Annotated[int, Field(ge=1, le=100)] = 4
    interceptors: Annotated[int, Field(ge=0, le=10_000)] = 16
    fire_channels: Annotated[int, Field(ge=1, le=100)] = 2
    min_range_km: NonNegative = 3.0
    max_range_km: Annotated[float, Field(gt=0.0, le=3_000.0)] = 100.0
    min_alt_km: NonNegative = 0.05
    max_alt_km: Annotated[float, Field(gt=0.0, le=1_000.0)] = 30.0
    flyout_speed_mps: Annotated[float, Field(gt=0.0, le=10_000.0)] = 1_200.0
    pk: KillProbability = Field(default_factory=KillProbability)
    doctrine: Literal["shoot-look-shoot", "salvo"] = "shoot-look-shoot"
    salvo_size: Annotated[int, Field(ge=1, le=8)] = 2
    kill_assessment_delay_s: NonNegative = 5.0
    reserve_interceptors: Annotated[int, Field(ge=0)] = 0

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
    between: Annotated[list[Identifier], Field(min_length=2, max_length=2)]
    latency_s: NonNegative = 2.0
    jitter_s: NonNegative = 0.5
    loss_probability: Probability = 0.0
    bandwidth_msgs_per_s: Positive = 1_000.0
    outages: list[TimeWindow] = Field(default_factory=list)

    @field_validator("between")
    @classmethod
    def _distinct(cls, ends: list[str]) -> list[str]:
        if ends[0] == ends[1]:
            raise ValueError("a link joins two different partners")
        return ends


class ReleaseRule(_Model):
    """What one partner releases of one data class to which partners."""

    from_partner: Identifier = Field(alias="from")
    to: Annotated[list[Identifier], Field(min_length=1)]
    data_class: DataClass
    delay_s: NonNegative = 0.0
    position_rounding_m: NonNegative = 0.0
    position_noise_m: NonNegative = 0.0

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )


class Aim(_Model):
    """Where a ballistic threat is aimed: a point, or a range and azimuth."""

    lat_deg: Latitude | None = None
    lon_deg: Longitude | None = None
    range_km: Annotated[float, Field(gt=0.0, le=15_000.0)] | None = None
    azimuth_deg: Annotated[float, Field(ge=0.0, lt=360.0)] | None = None

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

    count: Annotated[int, Field(ge=1, le=1_000)]
    over_s: NonNegative = 0.0


class BallisticThreat(_Model):
    """A ballistic missile: boost, free flight, re-entry."""

    type: Literal["ballistic"]
    id: Identifier
    launch: GeoPoint
    aim: Aim
    launch_time_s: NonNegative = 0.0
    profile: Literal["minimum-energy", "fixed-gamma"] = "minimum-energy"
    gamma_deg: Annotated[float, Field(gt=0.0, lt=90.0)] | None = Field(
        default=None, description="burnout flight-path angle, with profile fixed-gamma"
    )
    burn_time_s: Annotated[float, Field(gt=0.0, le=600.0)] = 60.0
    ballistic_coefficient_kg_m2: Annotated[float, Field(gt=0.0, le=1e6)] = 5_000.0
    rcs_class: RcsClass = "medium"
    salvo: Salvo | None = None
    accidental: bool = Field(default=False, description="white-cell label: a single stray launch")

    @model_validator(mode="after")
    def _profile(self) -> BallisticThreat:
        if (self.profile == "fixed-gamma") != (self.gamma_deg is not None):
            raise ValueError("gamma_deg is required with profile fixed-gamma and only then")
        return self


class Waypoint(_Model):
    """A point an air-breathing threat flies through."""

    lat_deg: Latitude
    lon_deg: Longitude


class AirBreathingThreat(_Model):
    """A cruise missile or aircraft following waypoints at set speed and altitude."""

    type: Literal["cruise", "aircraft"]
    id: Identifier
    launch_time_s: NonNegative = 0.0
    waypoints: Annotated[list[Waypoint], Field(min_length=2)]
    speed_mps: Annotated[float, Field(gt=0.0, le=1_500.0)] = 250.0
    altitude_m: Annotated[float, Field(gt=0.0, le=25_000.0)] = 100.0
    rcs_class: RcsClass = "small"
    salvo: Salvo | None = None


Threat = Annotated[BallisticThreat | AirBreathingThreat, Field(discriminator="type")]


class Inject(_Model):
    """A white-cell event on the exercise timeline."""

    time_s: NonNegative
    kind: Literal[
        "sensor_failure",
        "sensor_repair",
        "link_cut",
        "link_restore",
        "battery_empty",
        "command_post_silent",
        "command_post_restore",
        "note",
    ]
    target: Identifier | None = None
    text: str = ""


class CommandAndControl(_Model):
    """How the command posts decide: the decision cycle's settings."""

    coalition_cell: Identifier | None = Field(
        default=None,
        description="partner hosting the coalition cell in integrated mode (default: the first)",
    )
    min_value_saved: NonNegative = Field(
        default=5.0,
        description="an engagement is ordered only if it raises the expected value saved "
        "by at least this (asset value units): the price of an interceptor",
    )
    wta_method: Literal["heuristic", "exact"] = "heuristic"
    wta_time_limit_s: Positive = 1.0


class Scenario(_Model):
    """A whole exercise or analysis scenario."""

    name: Identifier
    description: str = ""
    epoch: datetime = Field(description="wall-clock time of scenario second 0 (UTC)")
    duration_s: Annotated[float, Field(gt=0.0, le=86_400.0)]
    time_step_s: Annotated[float, Field(gt=0.0, le=60.0)] = 1.0
    output_interval_s: Annotated[float, Field(gt=0.0, le=600.0)] = 5.0
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    coordination_mode: CoordinationMode = "shared-warning"
    earth: EarthOptions = Field(default_factory=EarthOptions)
    partners: Annotated[list[Partner], Field(min_length=1)]
    defended_assets: list[DefendedAsset] = Field(default_factory=list)
    sensors: list[Sensor] = Field(default_factory=list)
    batteries: list[Battery] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    policy: list[ReleaseRule] = Field(default_factory=list)
    threats: list[Threat] = Field(default_factory=list)
    injects: list[Inject] = Field(default_factory=list)
    c2: CommandAndControl = Field(default_factory=CommandAndControl)

    @field_validator("epoch")
    @classmethod
    def _utc(cls, epoch: datetime) -> datetime:
        # A naive timestamp in a scenario file means UTC: exercises run on Zulu time.
        return epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)

    @model_validator(mode="after")
    def _output_grid(self) -> Scenario:
        if self.output_interval_s < self.time_step_s:
            raise ValueError("output_interval_s must not be shorter than time_step_s")
        return self

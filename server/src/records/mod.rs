//! The plain record types every layer shares: what the store keeps and answers (divisions and
//! grids, events and their timelines, people, departments) and the filters it takes. No I/O and
//! nothing of the rest of the server: the domains and the store both depend on this, never the
//! other way round.

pub mod assessment;
pub mod attachment;
pub mod dataset;
pub mod disputes;
pub mod event;
pub mod history;
pub mod patrol;
pub mod person;
pub mod point;
pub mod registry;

pub use assessment::{BudgetLine, CareerMove, Frozen, InvalidMark, ManualScore, SchemeVersion};
pub use attachment::{AttachmentRecord, DuplicateLink, NewAttachment};
pub use disputes::{Callback, CaseFilter, CaseMove, ClosedEvent, DisputeCase, Outcome, Petition, PetitionFact, Screening};
pub use dataset::{Dataset, DatasetError, DatasetInfo, Grid, Township, Village, VillageKind};
pub use event::{
    time_text, Channel, EventFilter, EventRecord, Inserted, NewEvent, Page, Paged, Place, Regrid, Reporter,
    ReporterKind, TimelineEntry, TransitionWrite,
};
pub use history::{EventHistory, StatsFilter, StoredAction};
pub use patrol::{
    Checkin, CheckinInsert, CheckinKind, LivePatrol, Located, NewPatrol, PatrolFilter, PatrolInsert, PatrolLoad, PatrolRecord,
    PatrolTrack, TrackPoint,
};
pub use person::{Department, PersonFilter, PersonRecord};
pub use point::{ChangeMark, Changed, EventPoint, FactRow, PointFilter};
pub use registry::{
    FollowupRecord, RegistryCount, RegistryFilter, RegistryLink, RegistryMove, RegistryRecord, RegistryTable, SpecialFilter,
    SpecialRecord,
};

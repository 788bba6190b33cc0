//! Names paired with the types they carry, so a caller cannot send a signal with another
//! signal's payload or read a query as the wrong type.
//!
//! The SDK's attributes take the name: `#[signal(name = signals::APPROVE.name())]`.

use std::fmt;
use std::marker::PhantomData;

/// A signal's name and the payload `P` it carries.
pub struct Signal<P> {
    name: &'static str,
    payload: PhantomData<fn(P)>,
}

/// An update's name, the payload `P` it takes and the result `R` it answers with.
pub struct Update<P, R> {
    name: &'static str,
    types: PhantomData<fn(P) -> R>,
}

/// A query's name and the result `R` it answers with.
pub struct Query<R> {
    name: &'static str,
    result: PhantomData<fn() -> R>,
}

impl<P> Signal<P> {
    /// Pairs `name` with `P`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            payload: PhantomData,
        }
    }

    /// The name on the wire.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<P: serde::de::DeserializeOwned> Signal<P> {
    /// Reads this signal's payload, or says why it is not one.
    pub fn decode(&self, payload: serde_json::Value) -> Result<P, MalformedPayload> {
        serde_json::from_value(payload).map_err(|e| MalformedPayload {
            name: self.name,
            reason: e.to_string(),
        })
    }
}

/// A payload that is not what its signal carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedPayload {
    /// The signal's name.
    pub name: &'static str,
    /// What serde found wrong.
    pub reason: String,
}

impl fmt::Display for MalformedPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {} signal: {}", self.name, self.reason)
    }
}

impl std::error::Error for MalformedPayload {}

impl<P, R> Update<P, R> {
    /// Pairs `name` with `P` and `R`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            types: PhantomData,
        }
    }

    /// The name on the wire.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<R> Query<R> {
    /// Pairs `name` with `R`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            result: PhantomData,
        }
    }

    /// The name on the wire.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

macro_rules! name_traits {
    ($ty:ident<$($p:ident),+>) => {
        impl<$($p),+> Clone for $ty<$($p),+> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<$($p),+> Copy for $ty<$($p),+> {}

        impl<$($p),+> fmt::Debug for $ty<$($p),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.name)
            }
        }

        impl<$($p),+> fmt::Display for $ty<$($p),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name)
            }
        }
    };
}

name_traits!(Signal<P>);
name_traits!(Update<P, R>);
name_traits!(Query<R>);

#[cfg(test)]
mod tests {
    use crate::feature::Approve;
    use crate::signals;

    #[test]
    fn a_signal_decodes_its_own_payload_and_names_itself_when_it_cannot() {
        let ok = signals::APPROVE.decode(serde_json::json!({"gate": "intake", "user": "U1"}));
        assert_eq!(
            ok,
            Ok(Approve {
                gate: "intake".into(),
                user: "U1".into(),
                comment: None
            })
        );
        let bad = signals::APPROVE
            .decode(serde_json::json!({"gate": 7}))
            .expect_err("a number is no gate");
        assert!(
            bad.to_string().starts_with("malformed approve signal: "),
            "{bad}"
        );
    }

    #[test]
    fn names_that_several_workflows_answer_are_spelled_once() {
        use crate::queries;
        assert_eq!(queries::STATUS.name(), queries::INCIDENT_STATUS.name());
        assert_eq!(queries::TIMELINE.name(), queries::INCIDENT_TIMELINE.name());
        assert_eq!(crate::updates::APPROVE.name(), signals::APPROVE.name());
    }
}

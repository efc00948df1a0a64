//! Serde support through the string form, so that the JSON (or any other format) holds
//! exactly what the parser accepts and every deserialised value has been validated.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::Deserializer;
use serde::de::{self, Visitor};

pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    struct StrVisitor<T>(PhantomData<T>);

    impl<T> Visitor<'_> for StrVisitor<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
    }

    deserializer.deserialize_str(StrVisitor(PhantomData))
}

/// Implements `Serialize` by writing the string that `$v => $expr` yields (`$v` is bound
/// to `self`), and `Deserialize` with `FromStr`.
macro_rules! impl_serde_via_str {
    ($ty:ty, $v:ident => $expr:expr) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $v = self;
                serializer.serialize_str(&$expr)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::serde_str::deserialize(deserializer)
            }
        }
    };
}

pub(crate) use impl_serde_via_str;

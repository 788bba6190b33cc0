use super::EmergencyCommand;
use crate::commands::{Command, parse};

#[test]
fn emergency_stop_forms_parse() {
    let table: Vec<(&str, Result<EmergencyCommand, &str>)> = vec![
        (
            "",
            Ok(EmergencyCommand::Engage {
                reason: "no reason given".into(),
            }),
        ),
        (
            "bad deploy is corrupting orders",
            Ok(EmergencyCommand::Engage {
                reason: "bad deploy is corrupting orders".into(),
            }),
        ),
        (
            "release orders are clean again",
            Ok(EmergencyCommand::Release {
                reason: "orders are clean again".into(),
            }),
        ),
        ("status", Ok(EmergencyCommand::Status)),
        ("help", Ok(EmergencyCommand::Help)),
        ("release", Err("Missing the reason it is safe again.")),
    ];
    for (text, want) in table {
        let got = parse("/emergency-stop", text);
        match want {
            Ok(cmd) => assert_eq!(got, Ok(Command::EmergencyStop(cmd)), "{text:?}"),
            Err(msg) => assert!(got.expect_err(text).to_string().contains(msg), "{text:?}"),
        }
    }
}

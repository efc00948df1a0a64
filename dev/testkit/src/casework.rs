//! Case-work steps the tests share: what the post's tracking says of a registered notice.

use secal_proto::v1::{self as pb, correspondence_service_client::CorrespondenceServiceClient};
use tonic::transport::Channel;

use crate::{Suite, Svc};

impl Suite {
    /// Records that the dossier's current registered notice to the debtor was delivered on
    /// `on`: the debtor's 15 days run from that date. `dossier` is the dossier as NotifyDebtor
    /// answered it (it names the notice).
    pub async fn deliver_debtor_notice(
        &self,
        token: &str,
        dossier: &pb::Dossier,
        on: pb::Date,
    ) -> anyhow::Result<pb::RecordLetterDeliveryResponse> {
        let channel = self.channel(Svc::Intake).await?;
        deliver_debtor_notice(self, &channel, token, dossier, on).await
    }
}

/// [`Suite::deliver_debtor_notice`] to an intake reached over `channel` (a process of its own,
/// a TLS channel).
pub async fn deliver_debtor_notice(
    suite: &Suite,
    channel: &Channel,
    token: &str,
    dossier: &pb::Dossier,
    on: pb::Date,
) -> anyhow::Result<pb::RecordLetterDeliveryResponse> {
    let letter_id = dossier
        .debtor_notification
        .as_ref()
        .map(|n| n.letter_id.clone())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| anyhow::anyhow!("the dossier names no debtor notice"))?;
    let mut client = CorrespondenceServiceClient::new(channel.clone());
    let req = pb::RecordLetterDeliveryRequest {
        idempotency_key: Some(pb::IdempotencyKey {
            value: format!("deliver-{letter_id}"),
        }),
        letter_id,
        outcome: pb::DeliveryOutcome::Delivered as i32,
        on: Some(on),
    };
    Ok(client
        .record_letter_delivery(suite.request(token, req))
        .await?
        .into_inner())
}

//! `CaseworkFeedService`: the feed intake pulls into the agents' one work queue.

use secal_proto::v1::casework_feed_service_server::CaseworkFeedService;

use super::PaymentsApi;
use crate::casework;

secal_runtime::grpc_service! {
    impl CaseworkFeedService for PaymentsApi {
        list_casework_events(ListCaseworkEventsRequest) -> ListCaseworkEventsResponse
            => casework::list,
        acknowledge_casework_events(AcknowledgeCaseworkEventsRequest)
            -> AcknowledgeCaseworkEventsResponse => casework::acknowledge,
    }
}

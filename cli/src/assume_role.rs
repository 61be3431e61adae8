//! AssumeRole into a batch's accounts with one STS client for them all.
//!
//! aws-config's `AssumeRoleProvider` builds an STS client of its own (runtime, plugins, config
//! layers) for every role, and each account's credentials keep theirs for as long as its run
//! lasts, to refresh. In a revert batch every account's run waits for the one question, so
//! those clients added up with the number of accounts (issue 20: memory bounded by
//! concurrency, not by the fleet). Here every account shares the connector's one client, and
//! holds only what names its role.

use std::time::SystemTime;

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;

/// The credentials of one account's role, assumed with the batch's shared STS client.
#[derive(Debug)]
pub struct AssumeRole {
    pub sts: aws_sdk_sts::Client,
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
}

impl AssumeRole {
    async fn assume(&self) -> Result<Credentials, CredentialsError> {
        let answer = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            // The SDK's error itself, as the source: `aws::aws_code_and_message` reads AWS's
            // code and message from it (AccessDenied, Throttling…).
            .map_err(CredentialsError::provider_error)?;
        let sts = answer.credentials.ok_or_else(|| {
            CredentialsError::unhandled("AssumeRole answered without credentials")
        })?;
        let expiry = SystemTime::try_from(sts.expiration).map_err(|_| {
            CredentialsError::unhandled("AssumeRole answered an expiry no clock can hold")
        })?;
        Ok(Credentials::new(
            sts.access_key_id,
            sts.secret_access_key,
            Some(sts.session_token),
            Some(expiry),
            "AssumeRoleProvider",
        ))
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

/** An AWS region name (us-east-1, ap-southeast-2, us-gov-west-1): the one rule every check of a region uses. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/;

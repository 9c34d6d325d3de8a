export interface LoginRequest {
  /** One-time code from `wx.login` (weapp) or from the development login endpoint (H5). */
  code: string;
}

export interface LoginResponse {
  /** Opaque bearer token for `Authorization: Bearer <token>`. */
  token: string;
  expiresAt: string;
  learner: LearnerProfile;
}

/** Development builds only: a login code for a chosen test learner, minted by the WeChat sandbox. */
export interface DevLoginCodeRequest {
  learner?: string;
}

export interface DevLoginCodeResponse {
  code: string;
}

export interface OrgUnitView {
  id: string;
  code: string;
  name: string;
  /** Names from the head office down to this unit. */
  pathNames: string[];
}

export interface EmployeeBindingView {
  employeeNo: string;
  name: string;
  post: string;
  orgUnit: OrgUnitView;
  boundAt: string;
}

export interface LearnerProfile {
  id: string;
  nickname: string | null;
  binding: EmployeeBindingView | null;
  createdAt: string;
}

export interface BindEmployeeRequest {
  employeeNo: string;
  name: string;
}

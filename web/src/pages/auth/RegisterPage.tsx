/**
 * Sign-up for customers, merchants (the business and its owner account) and
 * drivers. Operators are created by the platform team, never here. The server
 * is the judge of every field; the page checks only what it can say at once
 * (required, password length) and shows the server's 422 paths next to the
 * fields they name.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import type { City, ListResponse } from '../../api/types';
import { APP_LABELS, useAuth, type Registration } from '../../auth/AuthContext';
import { fieldErrorsOf, type FieldErrors } from '../../auth/field-errors';
import { PageHeading } from '../../components/PageHeading';
import { useApiQuery } from '../../hooks/useApiQuery';
import { Link, navigate } from '../../router';
import { ErrorSummary, InputField, SelectField } from './Field';
import '../../components/app-ui.css';

type RoleChoice = Registration['role'];
const MIN_PASSWORD = 12;

const ROLE_CHOICES: { role: RoleChoice; label: string; description: string }[] = [
  { role: 'customer', label: 'Customer', description: 'Order from shops and restaurants and follow the delivery live.' },
  { role: 'merchant', label: 'Merchant', description: 'Register your business, take orders and hand them to drivers.' },
  { role: 'driver', label: 'Driver', description: 'Go online in your city, accept offers and deliver.' },
];

interface FormState {
  role: RoleChoice;
  name: string;
  email: string;
  password: string;
  phone: string;
  businessName: string;
  kind: 'restaurant' | 'store' | 'pharmacy';
  address: string;
  lat: string;
  lng: string;
  cityId: string;
  vehicle: 'bike' | 'scooter' | 'car';
}

const INITIAL: FormState = {
  role: 'customer',
  name: '',
  email: '',
  password: '',
  phone: '',
  businessName: '',
  kind: 'restaurant',
  address: '',
  lat: '',
  lng: '',
  cityId: '',
  vehicle: 'bike',
};

/** What the page can tell before asking the server, keyed like the server's paths. */
function checkLocally(form: FormState): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.name.trim()) errors.name = 'Enter your name.';
  if (!form.email.trim()) errors.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email.trim())) errors.email = 'Enter a valid email address.';
  if (form.password.length < MIN_PASSWORD) errors.password = `Use at least ${MIN_PASSWORD} characters.`;
  if (form.phone.trim() && !/^\+[1-9]\d{6,14}$/.test(form.phone.trim())) errors.phone = 'Use the international format, e.g. +33612345678.';
  if (form.role === 'merchant') {
    if (!form.businessName.trim()) errors['business.name'] = 'Enter the business name.';
    if (!form.address.trim()) errors['business.address'] = 'Enter the address.';
    if (!form.cityId) errors['business.cityId'] = 'Choose a city.';
    if (form.lat === '' || Number.isNaN(Number(form.lat))) errors['business.location.lat'] = 'Enter a latitude.';
    if (form.lng === '' || Number.isNaN(Number(form.lng))) errors['business.location.lng'] = 'Enter a longitude.';
  }
  if (form.role === 'driver' && !form.cityId) errors.cityId = 'Choose a city.';
  return errors;
}

function summaryTitle(problem: ApiProblem | null): string {
  if (!problem || problem.status === 422) return 'Please correct the following:';
  if (problem.status === 409) return 'This email address is already registered.';
  if (problem.status === 429) return 'Too many attempts. Wait a little and try again.';
  return problem.title;
}

function toRegistration(form: FormState): Registration {
  const base = { email: form.email.trim(), password: form.password, name: form.name.trim(), ...(form.phone.trim() ? { phone: form.phone.trim() } : {}) };
  if (form.role === 'merchant') {
    return {
      ...base,
      role: 'merchant',
      business: {
        name: form.businessName.trim(),
        kind: form.kind,
        address: form.address.trim(),
        location: { lat: Number(form.lat), lng: Number(form.lng) },
        cityId: form.cityId,
      },
    };
  }
  if (form.role === 'driver') return { ...base, role: 'driver', vehicle: form.vehicle, cityId: form.cityId };
  return { ...base, role: 'customer' };
}

export function RegisterPage() {
  const id = useId();
  const { register } = useAuth();
  const cities = useApiQuery<ListResponse<City>>('/v1/cities');
  const [form, setForm] = useState<FormState>(INITIAL);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [showPassword, setShowPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const [summaryShown, setSummaryShown] = useState(0);

  const cityList = cities.status === 'success' ? cities.data.items : [];
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));

  // One city: choose it. A chosen city fills in its centre as the shop's position until the owner changes it.
  useEffect(() => {
    if (cityList.length === 1 && !form.cityId) set('cityId', cityList[0]!.id);
  }, [cityList, form.cityId]);
  useEffect(() => {
    const city = cityList.find((c) => c.id === form.cityId);
    if (city && form.lat === '' && form.lng === '') setForm((f) => ({ ...f, lat: String(city.center.lat), lng: String(city.center.lng) }));
  }, [cityList, form.cityId, form.lat, form.lng]);
  // Move focus to the summary each time it is (re)shown, so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (summaryShown > 0) summaryRef.current?.focus();
  }, [summaryShown]);

  const fid = (name: string) => `${id}-${name.replace(/\./g, '-')}`;
  const fieldIds: Record<string, string> = Object.fromEntries(
    ['role', 'name', 'email', 'password', 'phone', 'business.name', 'business.kind', 'business.address', 'business.cityId', 'business.location.lat', 'business.location.lng', 'cityId', 'vehicle'].map((f) => [f, fid(f)]),
  );

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const local = checkLocally(form);
    setErrors(local);
    if (Object.keys(local).length > 0) {
      setSummaryShown((n) => n + 1);
      return;
    }
    setBusy(true);
    try {
      const { app } = await register(toRegistration(form));
      navigate(`/account?welcome=${app}`);
    } catch (error) {
      const p = toApiProblem(error);
      setProblem(p);
      setErrors(fieldErrorsOf(p));
      setSummaryShown((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  const cityField = (path: 'business.cityId' | 'cityId') => (
    <SelectField
      id={fid(path)}
      label="City"
      value={form.cityId}
      onChange={(e) => set('cityId', e.target.value)}
      error={errors[path]}
      hint={cities.status === 'error' ? 'The list of cities could not be loaded; reload the page to try again.' : undefined}
      required
    >
      <option value="">{cities.status === 'loading' ? 'Loading cities…' : 'Choose a city'}</option>
      {cityList.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </SelectField>
  );

  const hasErrors = Object.keys(errors).length > 0;
  return (
    <div className="auth-page">
      <PageHeading title="Create an account">
        One account per person. Merchants register their business with it; drivers say where and how they deliver.
      </PageHeading>

      {problem || hasErrors ? (
        <ErrorSummary
          id={`${id}-summary`}
          ref={summaryRef}
          title={summaryTitle(problem)}
          errors={problem && !hasErrors && problem.detail ? { form: problem.detail } : errors}
          fieldIds={fieldIds}
        />
      ) : null}

      <form className="panel auth-form" onSubmit={submit} noValidate aria-describedby={`${id}-required`}>
        <p id={`${id}-required`} className="muted">
          All fields are required unless marked optional.
        </p>
        <fieldset className="choice-group" id={fieldIds.role}>
          <legend>I am signing up as</legend>
          {ROLE_CHOICES.map((choice) => (
            <label key={choice.role} className="choice">
              <input type="radio" name="role" value={choice.role} checked={form.role === choice.role} onChange={() => set('role', choice.role)} />
              <span className="choice__text">
                <span className="choice__label">{choice.label}</span>
                <span className="choice__description">{choice.description}</span>
              </span>
            </label>
          ))}
        </fieldset>

        <fieldset className="form-section">
          <legend>You</legend>
          <InputField id={fid('name')} label="Full name" autoComplete="name" value={form.name} onChange={(e) => set('name', e.target.value)} error={errors.name} required />
          <InputField
            id={fid('email')}
            label="Email"
            type="email"
            autoComplete="email"
            value={form.email}
            onChange={(e) => set('email', e.target.value)}
            error={errors.email}
            required
          />
          <InputField
            id={fid('password')}
            label="Password"
            type={showPassword ? 'text' : 'password'}
            autoComplete="new-password"
            minLength={MIN_PASSWORD}
            hint={`At least ${MIN_PASSWORD} characters. A few unrelated words make a strong one.`}
            value={form.password}
            onChange={(e) => set('password', e.target.value)}
            error={errors.password}
            required
          />
          <label className="checkbox">
            <input type="checkbox" checked={showPassword} onChange={(e) => setShowPassword(e.target.checked)} /> Show password
          </label>
          <InputField
            id={fid('phone')}
            label="Phone (optional)"
            type="tel"
            autoComplete="tel"
            hint="International format, e.g. +33612345678. Used for delivery updates by SMS."
            value={form.phone}
            onChange={(e) => set('phone', e.target.value)}
            error={errors.phone}
          />
        </fieldset>

        {form.role === 'merchant' ? (
          <fieldset className="form-section">
            <legend>Your business</legend>
            <InputField id={fid('business.name')} label="Business name" autoComplete="organization" value={form.businessName} onChange={(e) => set('businessName', e.target.value)} error={errors['business.name']} required />
            <SelectField id={fid('business.kind')} label="Kind of business" value={form.kind} onChange={(e) => set('kind', e.target.value as FormState['kind'])} error={errors['business.kind']}>
              <option value="restaurant">Restaurant</option>
              <option value="store">Store</option>
              <option value="pharmacy">Pharmacy</option>
            </SelectField>
            <InputField id={fid('business.address')} label="Address" autoComplete="street-address" value={form.address} onChange={(e) => set('address', e.target.value)} error={errors['business.address']} required />
            {cityField('business.cityId')}
            <div className="form-row">
              <InputField id={fid('business.location.lat')} label="Latitude" inputMode="decimal" value={form.lat} onChange={(e) => set('lat', e.target.value)} error={errors['business.location.lat']} required />
              <InputField id={fid('business.location.lng')} label="Longitude" inputMode="decimal" value={form.lng} onChange={(e) => set('lng', e.target.value)} error={errors['business.location.lng']} required />
            </div>
            <p className="hint">Where drivers pick orders up. Filled in with the city centre; replace it with your shop&apos;s position.</p>
          </fieldset>
        ) : null}

        {form.role === 'driver' ? (
          <fieldset className="form-section">
            <legend>How you deliver</legend>
            <SelectField id={fid('vehicle')} label="Vehicle" value={form.vehicle} onChange={(e) => set('vehicle', e.target.value as FormState['vehicle'])} error={errors.vehicle}>
              <option value="bike">Bike</option>
              <option value="scooter">Scooter</option>
              <option value="car">Car</option>
            </SelectField>
            {cityField('cityId')}
          </fieldset>
        ) : null}

        <button type="submit" className="button button--wide" disabled={busy}>
          {busy ? 'Creating your account…' : `Create ${form.role} account`}
        </button>
        <p className="muted auth-form__alt">
          Already have an account? <Link to="/signin">Sign in</Link>. You will land in the {APP_LABELS[form.role].toLowerCase()}.
        </p>
      </form>
    </div>
  );
}
